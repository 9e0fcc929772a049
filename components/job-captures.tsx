"use client";

import Link from "next/link";
import { useEffect, useState } from "react";
import type { JobCaptureResponse } from "@/lib/api/schemas/jobs";
import { useCheckpoint } from "@/lib/hooks/use-checkpoints";
import { useRetryCaptures } from "@/lib/hooks/use-jobs";
import { RETRY_FOLLOW_MS } from "@/lib/query/jobs";
import { CheckpointProgress } from "./checkpoint-progress";
import { RelativeTime } from "./relative-time";
import { Badge } from "./ui/badge";
import { Button } from "./ui/button";
import { InlineError } from "./ui/error-state";

/** The bytes of a capture going up, read from the checkpoint it fills (polled while in flight). */
function CaptureUploadProgress({ checkpointId }: { checkpointId: string }) {
  const checkpoint = useCheckpoint(checkpointId);
  if (!checkpoint.data || checkpoint.data.status.status !== "uploading") return null;
  return <CheckpointProgress checkpoint={checkpoint.data} />;
}

function CaptureRow({ capture }: { capture: JobCaptureResponse }) {
  return (
    <li className="px-4 py-2.5">
      <div className="flex flex-wrap items-start justify-between gap-x-4 gap-y-1">
        <div className="min-w-0 flex-1">
          <div className="flex flex-wrap items-center gap-2">
            {capture.status === "ready" ? (
              <Link
                href={`/checkpoints/${encodeURIComponent(capture.name)}`}
                className="truncate font-mono text-sm font-medium text-zinc-900 hover:text-accent-600 hover:underline"
              >
                {capture.name}
              </Link>
            ) : (
              <span className="truncate font-mono text-sm text-zinc-700" title={capture.name}>
                {capture.name}
              </span>
            )}
            {capture.step !== null && <Badge tone="neutral">step {capture.step.toLocaleString()}</Badge>}
          </div>
          <p className="mt-0.5 font-mono text-xs text-zinc-500">{capture.path === "." ? "output directory (root model)" : `${capture.path}`}</p>
        </div>
        <div className="flex shrink-0 items-center gap-2 text-xs text-zinc-500">
          {capture.status === "pending" && (
            <Badge tone="neutral" title="Found in the output directory; it goes up once the files have been quiet for a moment.">
              Waiting
            </Badge>
          )}
          {capture.status === "uploading" && <Badge tone="accent">Capturing…</Badge>}
          {capture.status === "ready" && <Badge tone="success">Ready</Badge>}
          {capture.status === "failed" && <Badge tone="danger">Failed</Badge>}
          <RelativeTime at={capture.createdAt} suffix=" ago" />
        </div>
      </div>
      {capture.status === "uploading" && capture.checkpointId && <CaptureUploadProgress checkpointId={capture.checkpointId} />}
      {capture.status === "failed" && (
        <p role="alert" className="mt-1 text-xs break-words text-red-700">
          Capture failed: {capture.message ?? "no reason given"}
        </p>
      )}
    </li>
  );
}

/**
 * *Retry capture* for the whole job: every failed capture goes up again from the files the job
 * left. Once asked, it says so for a few seconds (the agent picks the request up on its next
 * heartbeat, and the log says how it went); the button stays, for a retry after a fix.
 */
function RetryCaptures({ retry, failed }: { retry: ReturnType<typeof useRetryCaptures>; failed: number }) {
  const [askedAt, setAskedAt] = useState<number | null>(null);
  useEffect(() => {
    if (askedAt === null) return;
    const timer = setTimeout(() => setAskedAt(null), Math.max(0, askedAt + RETRY_FOLLOW_MS - Date.now()));
    return () => clearTimeout(timer);
  }, [askedAt]);

  return (
    <div className="flex flex-wrap items-center justify-end gap-x-3 gap-y-1">
      {askedAt !== null && !retry.isPending && (
        <p role="status" className="text-xs text-zinc-600">
          Retry asked; the log shows how it goes.
        </p>
      )}
      <Button variant="secondary" size="sm" pending={retry.isPending} onClick={() => retry.mutate(undefined, { onSuccess: () => setAskedAt(Date.now()) })}>
        {retry.isPending ? "Retrying…" : failed === 1 ? "Retry capture" : `Retry capture (${failed})`}
      </Button>
    </div>
  );
}

/** Checkpoints captured from the job's output directory, appearing while the job runs. */
export function JobCaptures({
  jobRef,
  captures,
  captureOutputs,
  live,
  canWrite,
}: {
  /** The ref the job page reads the job by (its query key). */
  jobRef: string;
  captures: JobCaptureResponse[];
  captureOutputs: boolean;
  live: boolean;
  canWrite: boolean;
}) {
  const failed = captures.filter((capture) => capture.status === "failed").length;
  const retry = useRetryCaptures(jobRef);
  return (
    <section aria-labelledby="captures-heading" className="rounded-lg border border-zinc-200 bg-white shadow-sm">
      <div className="flex min-h-10 flex-wrap items-center justify-between gap-2 border-b border-zinc-200 px-4 py-1.5">
        <h2 id="captures-heading" className="text-sm font-semibold text-zinc-900">
          Captured checkpoints <span className="font-normal text-zinc-500">({captures.length})</span>
        </h2>
        {canWrite && failed > 0 && <RetryCaptures retry={retry} failed={failed} />}
      </div>
      {retry.error && (
        <div className="px-4 pt-3">
          <InlineError error={retry.error} />
        </div>
      )}
      {captures.length === 0 ? (
        <p className="px-4 py-3 text-sm text-zinc-500">
          {!captureOutputs
            ? "Output capture is off for this job."
            : live
              ? "Each sub-directory the job writes to $FLEXAI_OUTPUT_CHECKPOINT_DIR appears here once it has been quiet for a moment."
              : "The job wrote nothing to its output directory."}
        </p>
      ) : (
        <ul aria-label="Captured checkpoints" className="divide-y divide-zinc-100">
          {captures.map((capture) => (
            <CaptureRow key={capture.id} capture={capture} />
          ))}
        </ul>
      )}
    </section>
  );
}
