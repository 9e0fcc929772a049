"use client";

import Link from "next/link";
import { isComplete } from "@/lib/checkpoints/kinds";
import type { ReactNode } from "react";
import { ApiClientError } from "@/lib/api/client";
import { formatBytes } from "@/lib/format";
import { useCheckpoint } from "@/lib/hooks/use-checkpoints";
import { useCanWrite } from "@/lib/hooks/use-me";
import { isInFlight } from "@/lib/query/checkpoints";
import { CheckpointExportDialog } from "./checkpoint-export-dialog";
import { CompareCheckpointDialog } from "./compare-checkpoint-dialog";
import { CheckpointInspect } from "./checkpoint-inspect";
import { CheckpointJobActions } from "./checkpoint-job-actions";
import { CheckpointLineage } from "./checkpoint-lineage";
import { CheckpointLog } from "./checkpoint-log";
import { CheckpointProgress } from "./checkpoint-progress";
import { CancelIngestButton } from "./cancel-ingest-button";
import { DeleteCheckpointDialog } from "./delete-checkpoint-dialog";
import { DeriveCheckpointDialog } from "./derive-checkpoint-dialog";
import { DownloadAllMenu } from "./download-all-menu";
import { ExportList } from "./export-list";
import { FileTable } from "./file-table";
import { HfSnippet } from "./hf-snippet";
import { ModelCard } from "./model-card";
import { RelativeTime } from "./relative-time";
import { RenameCheckpointDialog } from "./rename-checkpoint-dialog";
import { sourceTypeLabel } from "./source-types";
import { StatusBadge } from "./status-badge";
import { VisibilityToggle } from "./visibility-toggle";
import { PinToggle } from "./pin-toggle";
import { Badge } from "./ui/badge";
import { buttonClasses } from "./ui/button";
import { EmptyState } from "./ui/empty-state";
import { ErrorState } from "./ui/error-state";
import { Skeleton } from "./ui/skeleton";

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <dt className="text-xs font-medium text-zinc-500">{label}</dt>
      <dd className="mt-0.5 text-sm text-zinc-900">{children}</dd>
    </div>
  );
}

function DetailSkeleton() {
  return (
    <div className="space-y-6" aria-busy="true" aria-label="Loading checkpoint">
      <Skeleton className="h-4 w-24" />
      <Skeleton className="h-7 w-72" />
      <div className="grid grid-cols-2 gap-4 sm:grid-cols-5">
        {Array.from({ length: 5 }, (_, i) => (
          <Skeleton key={i} className="h-10" />
        ))}
      </div>
      <Skeleton className="h-48 w-full" />
    </div>
  );
}

const backLink = (
  <Link href="/checkpoints" className="text-sm text-zinc-500 hover:text-zinc-800">
    ← Checkpoints
  </Link>
);

export function CheckpointDetail({ checkpointRef }: { checkpointRef: string }) {
  const query = useCheckpoint(checkpointRef);
  const canWrite = useCanWrite();

  if (query.isPending) return <DetailSkeleton />;
  if (query.isError) {
    const missing = query.error instanceof ApiClientError && query.error.status === 404;
    return (
      <div className="space-y-4">
        {backLink}
        {missing ? (
          <EmptyState
            title="Checkpoint not found"
            description={`There is no checkpoint '${checkpointRef}' in this organization. It may have been deleted or renamed.`}
            action={
              <Link href="/checkpoints" className={buttonClasses({ variant: "secondary" })}>
                Back to checkpoints
              </Link>
            }
          />
        ) : (
          <ErrorState title="Could not load the checkpoint" error={query.error} onRetry={() => void query.refetch()} />
        )}
      </div>
    );
  }

  const checkpoint = query.data;
  const { metadata, spec, status } = checkpoint;
  const inFlight = isInFlight(status.status);
  const complete = isComplete(status.status);

  return (
    <div className="space-y-6">
      {backLink}
      <header className="flex flex-wrap items-start justify-between gap-4">
        <div className="min-w-0">
          <div className="flex flex-wrap items-center gap-3">
            <h1 className="truncate font-mono text-xl font-semibold tracking-tight text-zinc-900">{metadata.name}</h1>
            <StatusBadge status={status.status} sourceType={spec.sourceType} />
            {metadata.pinned && <Badge tone="accent">Pinned</Badge>}
          </div>
          <p className="mt-1 font-mono text-xs text-zinc-500">{metadata.id}</p>
        </div>
        <div className="flex flex-wrap gap-2">
          {complete && <DownloadAllMenu checkpointId={metadata.id} name={metadata.name} />}
          {complete && <CompareCheckpointDialog name={metadata.name} />}
          {canWrite && (
            <>
              {status.status === "uploading" && (
                <Link href={`/checkpoints/new?checkpoint=${encodeURIComponent(metadata.name)}`} className={buttonClasses()}>
                  Continue uploading
                </Link>
              )}
              {["new", "downloading", "extracting"].includes(status.status) && <CancelIngestButton id={metadata.id} />}
              {complete && <CheckpointJobActions name={metadata.name} />}
              {complete && <CheckpointExportDialog checkpointRef={metadata.id} />}
              {complete && <DeriveCheckpointDialog id={metadata.id} name={metadata.name} />}
              {complete && <PinToggle id={metadata.id} pinned={metadata.pinned} />}
              <VisibilityToggle id={metadata.id} name={metadata.name} visibility={metadata.visibility} />
              <RenameCheckpointDialog key={metadata.name} id={metadata.id} name={metadata.name} />
              <DeleteCheckpointDialog id={metadata.id} name={metadata.name} />
            </>
          )}
        </div>
      </header>

      <dl className="grid grid-cols-2 gap-4 rounded-lg border border-zinc-200 bg-white p-4 shadow-sm sm:grid-cols-3 lg:grid-cols-6">
        <Fact label="Size">
          <span title={`${status.size.toLocaleString()} bytes`} className="tabular-nums">
            {formatBytes(status.size)}
          </span>
        </Fact>
        <Fact label="Files">
          <span className="tabular-nums">{status.fileCount.toLocaleString()}</span>
        </Fact>
        <Fact label="Source">{sourceTypeLabel(spec.sourceType)}</Fact>
        <Fact label="Visibility">{metadata.visibility === "public" ? "Public" : "Private"}</Fact>
        <Fact label="Created">
          <RelativeTime at={status.createdAt} suffix=" ago" />
        </Fact>
        <Fact label="Ready">{status.readyAt ? <RelativeTime at={status.readyAt} suffix=" ago" /> : <span className="text-zinc-400">—</span>}</Fact>
      </dl>

      {inFlight && status.status !== "exporting" && (
        <div className="rounded-lg border border-accent-200 bg-accent-50/50 p-4">
          <p className="mb-2 text-sm font-medium text-zinc-900">
            {status.status === "uploading" ? "Waiting for uploads to finish" : `${status.status[0].toUpperCase()}${status.status.slice(1)}…`}
          </p>
          <CheckpointProgress checkpoint={checkpoint} detailed />
        </div>
      )}
      {status.status === "failed" && (
        <div role="alert" className="rounded-lg border border-red-200 bg-red-50 p-4 text-sm text-red-800">
          <p className="font-semibold">This checkpoint failed</p>
          <p className="mt-0.5">{status.message ?? "See the creation log for the reason."}</p>
        </div>
      )}

      <ModelCard checkpoint={checkpoint} />

      <CheckpointLineage checkpoint={checkpoint} />

      <section aria-labelledby="files-heading" className="space-y-2">
        <h2 id="files-heading" className="text-sm font-semibold text-zinc-900">
          Files <span className="font-normal text-zinc-500">({status.files?.length ?? status.fileCount})</span>
        </h2>
        <FileTable checkpointId={metadata.id} files={status.files ?? []} />
      </section>

      {complete && <HfSnippet ownerOrgId={metadata.ownerOrgID} name={metadata.name} />}

      {complete && <ExportList checkpointRef={metadata.id} />}

      {/* grid-cols-1, not the implicit auto column: a long YAML line must scroll in its card, not widen the page. */}
      <div className="grid grid-cols-1 items-start gap-6 lg:grid-cols-2">
        <CheckpointInspect checkpoint={checkpoint} />
        <CheckpointLog checkpointId={metadata.id} live={inFlight} />
      </div>
    </div>
  );
}
