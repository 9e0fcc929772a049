import Link from "next/link";
import type { JobCaptureResponse } from "@/lib/api/schemas/jobs";
import { RelativeTime } from "./relative-time";
import { Badge } from "./ui/badge";

function CaptureRow({ capture }: { capture: JobCaptureResponse }) {
  return (
    <li className="flex flex-wrap items-start justify-between gap-x-4 gap-y-1 px-4 py-2.5">
      <div className="min-w-0">
        <div className="flex flex-wrap items-center gap-2">
          {capture.status === "ready" ? (
            <Link href={`/checkpoints/${encodeURIComponent(capture.name)}`} className="truncate font-mono text-sm font-medium text-zinc-900 hover:text-accent-600 hover:underline">
              {capture.name}
            </Link>
          ) : (
            <span className="truncate font-mono text-sm text-zinc-700">{capture.name}</span>
          )}
          {capture.step !== null && <Badge tone="neutral">step {capture.step.toLocaleString()}</Badge>}
        </div>
        <p className="mt-0.5 font-mono text-xs text-zinc-500">{capture.path === "." ? "output directory (root model)" : `${capture.path}`}</p>
        {capture.status === "failed" && (
          <p role="alert" className="mt-1 text-xs text-red-700">
            Capture failed: {capture.message ?? "no reason given"}
          </p>
        )}
      </div>
      <div className="flex shrink-0 items-center gap-2 text-xs text-zinc-500">
        {capture.status === "pending" && <Badge tone="neutral">Waiting</Badge>}
        {capture.status === "uploading" && <Badge tone="accent">Capturing…</Badge>}
        {capture.status === "ready" && <Badge tone="success">Ready</Badge>}
        {capture.status === "failed" && <Badge tone="danger">Failed</Badge>}
        <RelativeTime at={capture.createdAt} suffix=" ago" />
      </div>
    </li>
  );
}

/** Checkpoints captured from the job's output directory, appearing while the job runs. */
export function JobCaptures({ captures, captureOutputs, live }: { captures: JobCaptureResponse[]; captureOutputs: boolean; live: boolean }) {
  return (
    <section aria-labelledby="captures-heading" className="rounded-lg border border-zinc-200 bg-white shadow-sm">
      <h2 id="captures-heading" className="border-b border-zinc-200 px-4 py-2.5 text-sm font-semibold text-zinc-900">
        Captured checkpoints <span className="font-normal text-zinc-500">({captures.length})</span>
      </h2>
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
