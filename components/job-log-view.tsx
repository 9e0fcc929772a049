"use client";

import { useEffect, useRef, useState } from "react";
import type { JobLogLine } from "@/lib/api/schemas/jobs";
import { useJobLogs } from "@/lib/hooks/use-jobs";
import { cn } from "./ui/cn";
import { ErrorState } from "./ui/error-state";
import { Skeleton } from "./ui/skeleton";

const streamLook: Record<JobLogLine["stream"], string> = {
  stdout: "text-zinc-100",
  stderr: "text-red-300",
  system: "text-sky-300 italic",
};

/**
 * The job's output, polled for new lines while it runs. It follows the end like `tail -f`
 * until the reader scrolls up, and follows again once they scroll back to the bottom.
 */
export function JobLogView({ jobRef, live }: { jobRef: string; live: boolean }) {
  const logs = useJobLogs(jobRef, live);
  const scroller = useRef<HTMLDivElement>(null);
  const [follow, setFollow] = useState(true);
  const lines = logs.data?.lines ?? [];
  const lastId = lines.at(-1)?.id;

  useEffect(() => {
    const element = scroller.current;
    if (element && follow) element.scrollTop = element.scrollHeight;
  }, [lastId, follow]);

  function onScroll() {
    const element = scroller.current;
    if (!element) return;
    setFollow(element.scrollHeight - element.scrollTop - element.clientHeight < 24);
  }

  return (
    <section aria-labelledby="job-log-heading" className="overflow-hidden rounded-lg border border-zinc-800 bg-zinc-950 shadow-sm">
      <div className="flex items-center justify-between gap-3 border-b border-zinc-800 px-4 py-2">
        <h2 id="job-log-heading" className="flex items-center gap-2 text-sm font-semibold text-zinc-100">
          Logs
          {live && (
            <span className="flex items-center gap-1.5 text-xs font-normal text-emerald-400">
              <span aria-hidden className="size-1.5 animate-pulse rounded-full bg-emerald-400" />
              live
            </span>
          )}
        </h2>
        <div className="flex items-center gap-3 text-xs text-zinc-400 tabular-nums">
          {logs.data && logs.data.dropped > 0 && <span>{logs.data.dropped.toLocaleString()} earlier lines not shown</span>}
          <span>{lines.length.toLocaleString()} lines</span>
          {!follow && (
            <button type="button" onClick={() => setFollow(true)} className="rounded bg-zinc-800 px-2 py-0.5 text-zinc-200 hover:bg-zinc-700">
              Follow ↓
            </button>
          )}
        </div>
      </div>
      {logs.isPending ? (
        <div className="space-y-2 p-4" aria-busy="true" aria-label="Loading logs">
          <Skeleton className="h-3.5 w-3/4 bg-zinc-800" />
          <Skeleton className="h-3.5 w-1/2 bg-zinc-800" />
          <Skeleton className="h-3.5 w-2/3 bg-zinc-800" />
        </div>
      ) : logs.isError && lines.length === 0 ? (
        <div className="p-4">
          <ErrorState title="Could not load the logs" error={logs.error} onRetry={() => void logs.refetch()} />
        </div>
      ) : (
        <div
          ref={scroller}
          onScroll={onScroll}
          tabIndex={0}
          role="log"
          aria-live={live ? "polite" : "off"}
          aria-label="Job output"
          className="h-96 overflow-auto px-4 py-3 font-mono text-xs leading-5"
        >
          {lines.length === 0 ? (
            <p className="text-zinc-500">{live ? "Waiting for the first line of output…" : "The job wrote no output."}</p>
          ) : (
            lines.map((line) => (
              <div key={line.id} className="flex gap-3">
                <time dateTime={line.at} className="shrink-0 text-zinc-600 select-none tabular-nums">
                  {new Date(line.at).toLocaleTimeString()}
                </time>
                <span className={cn("break-all whitespace-pre-wrap", streamLook[line.stream])}>{line.message}</span>
              </div>
            ))
          )}
          {logs.isError && lines.length > 0 && <p className="mt-2 text-red-300">Could not fetch new lines: {logs.error.message} Retrying…</p>}
        </div>
      )}
    </section>
  );
}
