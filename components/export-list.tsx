"use client";

import type { ExportResponse, ExportStatus } from "@/lib/api/schemas/exports";
import { formatBytes } from "@/lib/format";
import { useCheckpointExports } from "@/lib/hooks/use-exports";
import { isExportActive } from "@/lib/query/exports";
import { RelativeTime } from "./relative-time";
import { Badge, type BadgeTone } from "./ui/badge";
import { ErrorState } from "./ui/error-state";
import { Progress } from "./ui/progress";
import { Skeleton } from "./ui/skeleton";

const look: Record<ExportStatus, { tone: BadgeTone; label: string }> = {
  queued: { tone: "neutral", label: "Queued" },
  running: { tone: "accent", label: "Running" },
  succeeded: { tone: "success", label: "Succeeded" },
  failed: { tone: "danger", label: "Failed" },
};

const scheme: Record<string, string> = { s3: "s3://", gcs: "gs://", azure: "azure://" };

function ExportRow({ item }: { item: ExportResponse }) {
  const { tone, label } = look[item.status];
  const { bytesDone, bytesTotal, filesDone, filesTotal } = item.progress;
  const numbers = `${formatBytes(bytesDone)} of ${formatBytes(bytesTotal)} · ${filesDone} of ${filesTotal} files`;
  return (
    <li className="space-y-2 px-4 py-3" aria-label={`Export to ${item.destinationPath}`}>
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
        <Badge tone={tone}>{label}</Badge>
        <span className="min-w-0 truncate font-mono text-sm text-zinc-900" title={item.destinationPath}>
          {scheme[item.provider] ?? ""}
          {item.destinationPath}
        </span>
        <span className="text-xs text-zinc-500">via {item.connection}</span>
        <span className="ml-auto text-xs text-zinc-500">
          {item.finishedAt ? (
            <>
              finished <RelativeTime at={item.finishedAt} suffix=" ago" />
            </>
          ) : (
            <>
              started <RelativeTime at={item.createdAt} suffix=" ago" />
            </>
          )}
        </span>
      </div>
      {isExportActive(item.status) && (
        <div className="space-y-1">
          <Progress value={bytesDone} max={item.status === "queued" ? null : bytesTotal} label={`Export to ${item.destinationPath}`} valueText={numbers} />
          <p className="text-xs text-zinc-500 tabular-nums">{item.status === "queued" ? "Waiting for a worker…" : numbers}</p>
        </div>
      )}
      {item.status === "succeeded" && <p className="text-xs text-zinc-500 tabular-nums">{`${filesDone} files, ${formatBytes(bytesDone)}`}</p>}
      {item.status === "failed" && <p className="text-sm text-red-700">{item.message ?? "The export failed; see the log."}</p>}
    </li>
  );
}

/** The checkpoint's exports, newest first, with live progress while one runs. */
export function ExportList({ checkpointRef }: { checkpointRef: string }) {
  const query = useCheckpointExports(checkpointRef);
  let content;
  if (query.isPending) content = <Skeleton className="h-14 w-full" />;
  else if (query.isError) content = <ErrorState title="Could not load the exports" error={query.error} onRetry={() => void query.refetch()} />;
  else if (query.data.items.length === 0)
    content = (
      <p className="rounded-lg border border-dashed border-zinc-300 bg-white px-4 py-5 text-sm text-zinc-500">
        Not exported yet. Use <span className="font-medium text-zinc-700">Export</span> above to copy it to an S3, GCS or Azure bucket.
      </p>
    );
  else
    content = (
      <ul className="divide-y divide-zinc-100 rounded-lg border border-zinc-200 bg-white shadow-sm">
        {query.data.items.map((item) => (
          <ExportRow key={item.id} item={item} />
        ))}
      </ul>
    );
  return (
    <section aria-labelledby="exports-heading" className="space-y-2">
      <h2 id="exports-heading" className="text-sm font-semibold text-zinc-900">
        Past exports
      </h2>
      {content}
    </section>
  );
}
