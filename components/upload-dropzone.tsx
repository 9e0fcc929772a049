"use client";

import Uppy, { type UppyFile } from "@uppy/core";
import { getDroppedFiles } from "@uppy/core/utils";
import GoldenRetriever from "@uppy/golden-retriever";
import Dashboard from "@uppy/react/dashboard";
import Tus from "@uppy/tus";
import { useEffect, useMemo, useRef, useState, type DragEvent } from "react";
import { useUppyEvent, useUppyState } from "@uppy/react";
import { filePathProblem } from "@/lib/checkpoints/naming";
import "@uppy/core/css/style.min.css";
import "@uppy/dashboard/css/style.min.css";

type UploadMeta = { checkpointId: string; path: string; relativePath?: string | null };
type UploadBody = Record<string, never>;
type UploadFile = UppyFile<UploadMeta, UploadBody>;

export type UploadSummary = { files: number; complete: number; failed: number; ghosts: number };

const MiB = 1024 * 1024;

/** Where the file lands inside the checkpoint: its path within a dropped folder, else its name. */
function checkpointPathOf(file: { name?: string; meta: { relativePath?: string | null } }): string {
  const relative = file.meta.relativePath?.replace(/^\/+/, "");
  return relative || file.name || "";
}

function createUppy(checkpointId: string) {
  // One Uppy (and one GoldenRetriever store) per checkpoint, so a reload restores exactly this upload.
  const uppy: Uppy<UploadMeta, UploadBody> = new Uppy<UploadMeta, UploadBody>({
    id: `checkpoint-${checkpointId}`,
    autoProceed: true,
    allowMultipleUploadBatches: true,
    meta: { checkpointId, path: "" },
    onBeforeFileAdded: (file, files) => {
      const path = checkpointPathOf(file);
      const problem = filePathProblem(path);
      if (problem) {
        uppy.info(problem, "error", 6000);
        return false;
      }
      if (Object.values(files).some((other) => other.meta.path === path && other.id !== file.id)) {
        uppy.info(`'${path}' is already in the list.`, "error", 4000);
        return false;
      }
      return true;
    },
  });
  return uppy
    .use(Tus, {
      endpoint: "/api/v1/uploads",
      chunkSize: 50 * MiB,
      retryDelays: [0, 1000, 3000, 5000, 10_000],
      limit: 4,
      removeFingerprintOnSuccess: true,
      allowedMetaFields: ["checkpointId", "path"],
    })
    .use(GoldenRetriever);
}

/** The API's error message from a failed tus request, when the body is our envelope. */
function apiMessage(response: unknown): string | null {
  const xhr = (response as { body?: { xhr?: XMLHttpRequest } } | undefined)?.body?.xhr;
  try {
    const body = JSON.parse(xhr?.responseText ?? "") as { error?: { message?: string } };
    return body.error?.message ?? null;
  } catch {
    return null;
  }
}

/**
 * Uppy's dashboard for the files of one uploading checkpoint: drag files or whole folders (the
 * folder structure is kept), resumable tus uploads with pause, resume, cancel and retry.
 */
export function UploadDropzone({
  checkpointId,
  checkpointName,
  uppy,
  onSummary,
}: {
  checkpointId: string;
  checkpointName: string;
  uppy: Uppy<UploadMeta, UploadBody>;
  onSummary?: (summary: UploadSummary) => void;
}) {
  const files = useUppyState(uppy, (state) => state.files);

  useUppyEvent(uppy, "file-added", (file) => {
    uppy.setFileMeta(file.id, { checkpointId, path: checkpointPathOf(file) });
  });
  useUppyEvent(uppy, "upload-error", (file, _error, response) => {
    const message = apiMessage(response);
    if (file && message) uppy.setFileState(file.id, { error: message });
  });

  const summary = useMemo<UploadSummary>(() => {
    const list = Object.values(files) as UploadFile[];
    return {
      files: list.length,
      complete: list.filter((f) => f.progress.uploadComplete && !f.error).length,
      failed: list.filter((f) => Boolean(f.error)).length,
      ghosts: list.filter((f) => f.isGhost).length,
    };
  }, [files]);
  useEffect(() => onSummary?.(summary), [summary, onSummary]);

  // Synthetic drops on the wrapper (tests, other widgets) go where Uppy's own drops go.
  async function dropOnWrapper(event: DragEvent<HTMLElement>) {
    if (event.target !== event.currentTarget) return;
    event.preventDefault();
    const dropped = await getDroppedFiles(event.dataTransfer);
    uppy.addFiles(
      dropped.map((file) => {
        const relative = (file as File & { relativePath?: string }).relativePath || file.webkitRelativePath || null;
        return { source: "Dashboard", name: file.name, type: file.type, data: file, meta: { checkpointId, path: "", relativePath: relative } };
      }),
    );
  }

  return (
    <section
      aria-label={`Upload files to ${checkpointName}`}
      data-testid="upload-dropzone"
      onDragOver={(event) => event.target === event.currentTarget && event.preventDefault()}
      onDrop={dropOnWrapper}
    >
      <Dashboard
        uppy={uppy}
        width="100%"
        height={380}
        fileManagerSelectionType="both"
        hideProgressDetails={false}
        proudlyDisplayPoweredByUppy={false}
        hideProgressAfterFinish={false}
        doneButtonHandler={null}
        note="Files or whole folders; folder structure is kept. Uploads resume after a dropped connection or a reload."
      />
    </section>
  );
}

/** The Uppy of one checkpoint's upload page, created once and closed when the page goes away; key the caller by checkpoint. */
export function useCheckpointUppy(checkpointId: string) {
  const [uppy] = useState(() => createUppy(checkpointId));
  const mounted = useRef(false);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
      // React's development double-mount unmounts and remounts at once: destroy only a real unmount.
      setTimeout(() => {
        if (!mounted.current) uppy.destroy();
      }, 0);
    };
  }, [uppy]);
  return uppy;
}
