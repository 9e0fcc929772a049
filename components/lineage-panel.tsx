"use client";

import dynamic from "next/dynamic";
import { useState } from "react";
import { LINEAGE_MAX_DEPTH, LINEAGE_MAX_NODES, type LineageNodeKind } from "@/lib/api/schemas/lineage";
import { useLineage } from "@/lib/hooks/use-lineage";
import { useMe } from "@/lib/hooks/use-me";
import { edgeLooks } from "./lineage-looks";
import { ErrorState } from "./ui/error-state";
import { Select } from "./ui/input";
import { Skeleton } from "./ui/skeleton";

const graphSkeleton = <Skeleton className="h-44 w-full" />;

// The graph library is only loaded where a graph is drawn, in the browser.
const LineageGraph = dynamic(() => import("./lineage-graph").then((m) => m.LineageGraph), { ssr: false, loading: () => graphSkeleton });

const depths = Array.from({ length: LINEAGE_MAX_DEPTH }, (_, i) => i + 1);

const alone: Record<LineageNodeKind, string> = {
  checkpoint: "Nothing links to this checkpoint yet: no job produced or used it, and nothing was derived from it.",
  job: "This job attached no checkpoints and has produced none yet.",
};

function Legend() {
  return (
    <ul aria-label="Legend" className="flex flex-wrap items-center gap-x-4 gap-y-1 text-xs text-zinc-500">
      {Object.values(edgeLooks).map((look) => (
        <li key={look.label} className="flex items-center gap-1.5">
          <svg aria-hidden width="22" height="6" viewBox="0 0 22 6">
            <line x1="0" y1="3" x2="22" y2="3" stroke={look.color} strokeWidth="1.5" strokeDasharray={look.dashed ? "5 4" : undefined} />
          </svg>
          {look.label}
        </li>
      ))}
      <li className="flex items-center gap-1.5">
        <span aria-hidden className="inline-block h-3 w-5 rounded-md border border-zinc-300 bg-white" /> checkpoint
      </li>
      <li className="flex items-center gap-1.5">
        <span aria-hidden className="inline-block h-3 w-5 rounded-full border border-zinc-300 bg-zinc-100" /> job
      </li>
    </ul>
  );
}

/** The lineage graph of a checkpoint or a job, with a depth picker; every state designed. */
export function LineagePanel({ kind, entityRef }: { kind: LineageNodeKind; entityRef: string }) {
  const [depth, setDepth] = useState(2);
  const lineage = useLineage(kind, entityRef, depth);
  const orgId = useMe().data?.org.id;
  const id = `lineage-depth-${kind}`;

  return (
    <div className="space-y-2">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <label htmlFor={id} className="flex items-center gap-2 text-xs text-zinc-600">
          Steps out
          <Select id={id} value={depth} onChange={(event) => setDepth(Number(event.target.value))} className="h-7 w-auto px-2 pr-7 text-xs">
            {depths.map((d) => (
              <option key={d} value={d}>
                {d}
              </option>
            ))}
          </Select>
        </label>
        {lineage.isFetching && lineage.isPlaceholderData && <span className="text-xs text-zinc-500">Loading {depth} steps out…</span>}
      </div>
      {lineage.isPending ? (
        <div aria-busy="true" aria-label="Loading the lineage">
          {graphSkeleton}
        </div>
      ) : lineage.isError ? (
        <ErrorState title="Could not load the lineage" error={lineage.error} onRetry={() => void lineage.refetch()} />
      ) : lineage.data.nodes.length <= 1 ? (
        <p className="rounded-md border border-dashed border-zinc-300 bg-white px-4 py-6 text-center text-sm text-zinc-500">{alone[kind]}</p>
      ) : (
        <>
          <LineageGraph lineage={lineage.data} orgId={orgId} />
          <div className="flex flex-wrap items-start justify-between gap-2">
            <Legend />
            {lineage.data.truncated && (
              <p className="text-xs text-amber-700">Showing the first {LINEAGE_MAX_NODES} nodes; pick fewer steps to see the nearest ones whole.</p>
            )}
          </div>
        </>
      )}
    </div>
  );
}
