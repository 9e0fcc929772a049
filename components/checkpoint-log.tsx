"use client";

import { useCheckpointLogs } from "@/lib/hooks/use-checkpoints";
import { Badge } from "./ui/badge";
import { cn } from "./ui/cn";
import { ErrorState } from "./ui/error-state";
import { Skeleton } from "./ui/skeleton";

/** The creation log of a checkpoint, live while it is in flight. */
export function CheckpointLog({ checkpointId, live }: { checkpointId: string; live: boolean }) {
  const logs = useCheckpointLogs(checkpointId, live);
  return (
    <section aria-labelledby="log-heading" className="rounded-lg border border-zinc-200 bg-white shadow-sm">
      <h2 id="log-heading" className="border-b border-zinc-200 px-4 py-2.5 text-sm font-semibold text-zinc-900">
        Creation log
      </h2>
      {logs.isPending ? (
        <div className="space-y-2 p-4" aria-busy="true" aria-label="Loading log">
          <Skeleton className="h-3.5 w-3/4" />
          <Skeleton className="h-3.5 w-1/2" />
        </div>
      ) : logs.isError ? (
        <div className="p-4">
          <ErrorState title="Could not load the log" error={logs.error} onRetry={() => void logs.refetch()} />
        </div>
      ) : logs.data.items.length === 0 ? (
        <p className="p-4 text-sm text-zinc-500">Nothing logged yet.</p>
      ) : (
        <ol className="max-h-80 divide-y divide-zinc-100 overflow-auto font-mono text-xs">
          {logs.data.items.map((entry, i) => (
            <li key={`${entry.at}-${i}`} className="flex items-start gap-3 px-4 py-2">
              <time dateTime={entry.at} title={entry.at} className="shrink-0 text-zinc-400 tabular-nums">
                {new Date(entry.at).toLocaleTimeString()}
              </time>
              {entry.level !== "info" && <Badge tone={entry.level === "error" ? "danger" : "warning"}>{entry.level}</Badge>}
              {/* Long file paths break anywhere rather than widen the card. */}
              <span className={cn("min-w-0 [overflow-wrap:anywhere]", entry.level === "error" ? "text-red-700" : "text-zinc-700")}>{entry.message}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
