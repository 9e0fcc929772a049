"use client";

import Link from "next/link";
import { useMemo, type ReactNode } from "react";
import { ApiClientError } from "@/lib/api/client";
import { formatBytes } from "@/lib/format";
import { useCheckpoint } from "@/lib/hooks/use-checkpoints";
import { useCanWrite, useMe } from "@/lib/hooks/use-me";
import { orgLabel } from "./catalog-table";
import { launchFromCheckpointHref } from "./checkpoint-job-actions";
import { FileTable } from "./file-table";
import { ModelCard } from "./model-card";
import { LicenseAcceptance, ModelCardText } from "./model-card-text";
import { RelativeTime } from "./relative-time";
import { sourceTypeLabel } from "./source-types";
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

const backLink = (
  <Link href="/catalog" className="text-sm text-zinc-500 hover:text-zinc-800">
    ← Catalog
  </Link>
);

/** A public checkpoint, read-only: facts, files to download, and "Use in a job". */
export function CatalogDetail({ checkpointRef }: { checkpointRef: string }) {
  const query = useCheckpoint(checkpointRef);
  const me = useMe();
  const canWrite = useCanWrite();
  const orgs = useMemo(() => ({ currentOrgId: me.data?.org.id, names: new Map(me.data?.orgs.map((org) => [org.id, org.name])) }), [me.data]);

  if (query.isPending) {
    return (
      <div className="space-y-6" aria-busy="true" aria-label="Loading checkpoint">
        <Skeleton className="h-4 w-20" />
        <Skeleton className="h-7 w-72" />
        <Skeleton className="h-14 w-full" />
        <Skeleton className="h-48 w-full" />
      </div>
    );
  }
  if (query.isError) {
    const missing = query.error instanceof ApiClientError && query.error.status === 404;
    return (
      <div className="space-y-4">
        {backLink}
        {missing ? (
          <EmptyState
            title="Not in the catalog"
            description="This checkpoint is not public, or it was deleted. Its owners may have made it private."
            action={
              <Link href="/catalog" className={buttonClasses({ variant: "secondary" })}>
                Back to the catalog
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
  const ours = metadata.ownerOrgID === me.data?.org.id;
  return (
    <div className="space-y-6">
      {backLink}
      <header className="flex flex-wrap items-start justify-between gap-4">
        <div className="min-w-0">
          <h1 className="truncate font-mono text-xl font-semibold tracking-tight text-zinc-900">{metadata.name}</h1>
          <p className="mt-1 text-sm text-zinc-500">
            {metadata.visibility === "public" ? "Public" : "Private"} checkpoint of {orgLabel(metadata.ownerOrgID, orgs).toLowerCase()}
            {ours && (
              <>
                {" · "}
                <Link href={`/checkpoints/${encodeURIComponent(metadata.name)}`} className="text-accent-700 hover:underline">
                  manage it
                </Link>
              </>
            )}
          </p>
        </div>
        {canWrite && status.status === "ready" && (
          <Link href={launchFromCheckpointHref(metadata.id, "training", metadata.visibility === "public")} className={buttonClasses()}>
            Use in a job
          </Link>
        )}
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
        <Fact label="Organization">{orgLabel(metadata.ownerOrgID, orgs)}</Fact>
        <Fact label="Created">
          <RelativeTime at={status.createdAt} suffix=" ago" />
        </Fact>
        <Fact label="License">{status.model?.license ?? <span className="text-zinc-400">—</span>}</Fact>
      </dl>

      <LicenseAcceptance checkpoint={checkpoint} />
      <ModelCard checkpoint={checkpoint} />
      <ModelCardText checkpoint={checkpoint} />

      <section aria-labelledby="files-heading" className="space-y-2">
        <h2 id="files-heading" className="text-sm font-semibold text-zinc-900">
          Files <span className="font-normal text-zinc-500">({status.files?.length ?? status.fileCount})</span>
        </h2>
        <FileTable checkpointId={metadata.id} files={status.files ?? []} />
      </section>
    </div>
  );
}
