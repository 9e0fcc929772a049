"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useCallback, useState } from "react";
import type { CheckpointResponse } from "@/lib/api/schemas/checkpoints";
import { formatBytes } from "@/lib/format";
import { useCommitCheckpoint } from "@/lib/hooks/use-checkpoints";
import { Button, buttonClasses } from "./ui/button";
import { InlineError } from "./ui/error-state";
import { UploadDropzone, useCheckpointUppy, type UploadSummary } from "./upload-dropzone";

function summaryText(summary: UploadSummary): string {
  if (summary.files === 0) return "Add at least one file to finish.";
  if (summary.ghosts > 0) return `Add ${summary.ghosts} file${summary.ghosts === 1 ? "" : "s"} again to resume ${summary.ghosts === 1 ? "its" : "their"} upload.`;
  if (summary.failed > 0) return `${summary.failed} upload${summary.failed === 1 ? "" : "s"} failed: retry or remove ${summary.failed === 1 ? "it" : "them"}.`;
  if (summary.complete < summary.files) return `${summary.complete} of ${summary.files} files uploaded…`;
  return `All ${summary.files} file${summary.files === 1 ? "" : "s"} uploaded.`;
}

/** Step 2: upload the files of an `uploading` checkpoint, then seal it with "Finish". */
export function CheckpointUploadStep({ checkpoint }: { checkpoint: CheckpointResponse }) {
  const router = useRouter();
  const { id, name } = checkpoint.metadata;
  const uppy = useCheckpointUppy(id);
  const commit = useCommitCheckpoint(id);
  const [summary, setSummary] = useState<UploadSummary>({ files: 0, complete: 0, failed: 0, ghosts: 0 });
  const onSummary = useCallback((next: UploadSummary) => setSummary(next), []);
  const allDone = summary.files > 0 && summary.complete === summary.files;

  function finish() {
    commit.mutate(undefined, {
      onSuccess: (sealed) => {
        uppy.clear();
        router.push(`/checkpoints/${encodeURIComponent(sealed.metadata.name)}`);
      },
    });
  }

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 className="text-sm font-medium text-zinc-900">
          Files for <span className="font-mono">{name}</span>
        </h2>
        <p className="text-xs text-zinc-500 tabular-nums" aria-live="polite">
          On the server: {checkpoint.status.fileCount} file{checkpoint.status.fileCount === 1 ? "" : "s"} · {formatBytes(checkpoint.status.size)}
        </p>
      </div>
      <UploadDropzone checkpointId={id} checkpointName={name} uppy={uppy} onSummary={onSummary} />
      {commit.error && <InlineError error={commit.error} />}
      <div className="flex flex-wrap items-center justify-between gap-3 border-t border-zinc-200 pt-5">
        <p className="text-sm text-zinc-600" aria-live="polite">
          {summaryText(summary)}
        </p>
        <div className="flex gap-2">
          <Link href="/checkpoints" className={buttonClasses({ variant: "ghost" })}>
            Finish later
          </Link>
          <Button onClick={finish} disabled={!allDone} pending={commit.isPending}>
            Finish
          </Button>
        </div>
      </div>
    </div>
  );
}
