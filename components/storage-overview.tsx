"use client";

import Link from "next/link";
import type { ReactNode } from "react";
import type { StorageResponse } from "@/lib/api/schemas/storage";
import { formatBytes } from "@/lib/format";
import { useStorageOverview } from "@/lib/hooks/use-storage";
import { StorageConsumersChart, StorageSeriesChart } from "./storage-charts";
import { StorageConsumersTable } from "./storage-consumers-table";
import { buttonClasses } from "./ui/button";
import { EmptyState } from "./ui/empty-state";
import { ErrorState } from "./ui/error-state";
import { Progress } from "./ui/progress";
import { Skeleton } from "./ui/skeleton";

const percent = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 100) : 0);

function Figure({ label, value, hint, children }: { label: string; value: string; hint?: ReactNode; children?: ReactNode }) {
  return (
    <div className="rounded-lg border border-zinc-200 bg-white p-4 shadow-sm">
      <dt className="text-xs font-medium text-zinc-500">{label}</dt>
      <dd className="mt-1 text-lg font-semibold text-zinc-900 tabular-nums">{value}</dd>
      {hint && <dd className="mt-0.5 text-xs text-zinc-500">{hint}</dd>}
      {children}
    </div>
  );
}

function Summary({ data }: { data: StorageResponse }) {
  const used = data.usedBytes + data.reservedBytes;
  const ratio = data.quotaBytes > 0 ? used / data.quotaBytes : 0;
  return (
    <dl className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
      <Figure
        label="Used of quota"
        value={`${formatBytes(used)} of ${formatBytes(data.quotaBytes)}`}
        hint={data.reservedBytes > 0 ? `${percent(used, data.quotaBytes)}% · ${formatBytes(data.reservedBytes)} held for uploads in flight` : `${percent(used, data.quotaBytes)}%`}
      >
        <Progress
          className="mt-2"
          value={used}
          max={data.quotaBytes}
          label="Storage quota used"
          valueText={`${formatBytes(used)} of ${formatBytes(data.quotaBytes)}`}
          tone={ratio >= 0.95 ? "danger" : ratio >= 0.8 ? "warning" : "accent"}
        />
      </Figure>
      <Figure label="Logical size" value={formatBytes(data.logicalBytes)} hint="The checkpoints' sizes added up, as if nothing were shared" />
      <Figure label="Saved by sharing" value={formatBytes(data.savedBytes)} hint={data.savedBytes > 0 ? `${percent(data.savedBytes, data.logicalBytes)}% of the logical size is stored once for several checkpoints` : "No file is shared by two checkpoints yet"} />
      <Figure
        label="Checkpoints"
        value={data.checkpointCount.toLocaleString()}
        hint={`${data.blobCount.toLocaleString()} distinct ${data.blobCount === 1 ? "file" : "files"} stored`}
      />
    </dl>
  );
}

function OverviewSkeleton() {
  return (
    <div className="space-y-6" aria-busy="true" aria-label="Loading storage use">
      <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-4">
        {Array.from({ length: 4 }, (_, i) => (
          <div key={i} className="rounded-lg border border-zinc-200 bg-white p-4 shadow-sm">
            <Skeleton className="h-3 w-20" />
            <Skeleton className="mt-2 h-6 w-32" />
            <Skeleton className="mt-2 h-3 w-40" />
          </div>
        ))}
      </div>
      <div className="grid gap-6 lg:grid-cols-2">
        <Skeleton className="h-72 w-full" />
        <Skeleton className="h-72 w-full" />
      </div>
    </div>
  );
}

function Panel({ id, title, description, children }: { id: string; title: string; description: string; children: ReactNode }) {
  return (
    <section aria-labelledby={id} className="min-w-0 rounded-lg border border-zinc-200 bg-white p-4 shadow-sm">
      <h2 id={id} className="text-sm font-semibold text-zinc-900">
        {title}
      </h2>
      <p className="mt-0.5 text-xs text-zinc-500">{description}</p>
      <div className="mt-3">{children}</div>
    </section>
  );
}

/** The Storage page's figures: used against quota, what sharing saves, the largest consumers and the job series. */
export function StorageOverview() {
  const query = useStorageOverview();
  if (query.isPending) return <OverviewSkeleton />;
  if (query.isError) return <ErrorState title="Could not load storage use" error={query.error} onRetry={() => void query.refetch()} />;
  const data = query.data;
  if (data.checkpointCount === 0) {
    return (
      <div className="space-y-6">
        <Summary data={data} />
        <EmptyState
          title="Nothing stored yet"
          description="Checkpoints you upload, import or capture from jobs show up here with what each one costs."
          action={
            <Link href="/checkpoints/new" className={buttonClasses()}>
              Create a checkpoint
            </Link>
          }
        />
      </div>
    );
  }
  return (
    <div className="space-y-6">
      <Summary data={data} />
      <div className="grid gap-6 lg:grid-cols-2">
        <Panel id="consumers-heading" title="Largest consumers" description="Exclusive: what deleting the checkpoint frees. Shared: held by other checkpoints too.">
          <StorageConsumersChart checkpoints={data.checkpoints.slice(0, 8)} />
        </Panel>
        <Panel id="series-heading" title="Usage per job series" description="Checkpoints captured from one job. Exclusive: what deleting the whole series frees.">
          <StorageSeriesChart series={data.series.slice(0, 8)} />
        </Panel>
      </div>
      <StorageConsumersTable checkpoints={data.checkpoints} total={data.checkpointCount} />
    </div>
  );
}
