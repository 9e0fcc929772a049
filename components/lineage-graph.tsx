"use client";

import "@xyflow/react/dist/style.css";
import Link from "next/link";
import { useMemo, useSyncExternalStore } from "react";
import { Controls, Handle, MarkerType, Position, ReactFlow, type Edge, type Node, type NodeProps } from "@xyflow/react";
import type { Lineage, LineageNode } from "@/lib/api/schemas/lineage";
import { attachmentHref } from "./job-checkpoint-link";
import { LINEAGE_NODE_HEIGHT, LINEAGE_NODE_WIDTH, layoutLineage, type LineageDirection } from "./lineage-layout";
import { edgeLooks } from "./lineage-looks";
import { cn } from "./ui/cn";

type CardData = { node: LineageNode; root: boolean; href: string; direction: LineageDirection };
type CardNode = Node<CardData, "lineage">;

/** The dot of a status, in the tones of the status badges: done, failed, stopped, waiting, else under way. */
const dotTone: Record<string, string> = {
  ready: "bg-emerald-500",
  succeeded: "bg-emerald-500",
  failed: "bg-red-500",
  stopped: "bg-amber-500",
  queued: "bg-zinc-400",
  new: "bg-zinc-400",
};

const capitalized = (word: string) => `${word.charAt(0).toUpperCase()}${word.slice(1)}`;

function LineageCard({ data }: NodeProps<CardNode>) {
  const { node, root, href, direction } = data;
  const [into, out] = direction === "LR" ? [Position.Left, Position.Right] : [Position.Top, Position.Bottom];
  const kind = node.kind === "job" ? "Job" : "Checkpoint";
  const label = `${node.name}: ${kind.toLowerCase()}, ${node.status}${root ? " (this page)" : ""}`;
  const body = (
    <>
      <span className="flex items-center gap-1.5 text-[10px] font-semibold tracking-wide text-zinc-500 uppercase">
        <span aria-hidden className={cn("size-2 shrink-0 rounded-full", dotTone[node.status] ?? "animate-pulse bg-accent-500")} />
        {kind} · {capitalized(node.status)}
      </span>
      <span className="mt-0.5 block truncate font-mono text-xs font-medium text-zinc-900 group-hover:text-accent-700 group-hover:underline">{node.name}</span>
    </>
  );
  return (
    <div
      style={{ width: LINEAGE_NODE_WIDTH, height: LINEAGE_NODE_HEIGHT }}
      className={cn(
        "rounded-md border px-2.5 py-2 shadow-sm",
        node.kind === "job" ? "rounded-xl bg-zinc-100/80" : "bg-white",
        root ? "border-accent-500 ring-2 ring-accent-200" : "border-zinc-300",
      )}
    >
      <Handle type="target" position={into} isConnectable={false} className="!border-0 !bg-transparent" />
      {root ? (
        <div aria-label={label} aria-current="page" title={node.name}>
          {body}
        </div>
      ) : (
        <Link href={href} aria-label={label} title={node.name} className="nodrag nopan group block rounded">
          {body}
        </Link>
      )}
      <Handle type="source" position={out} isConnectable={false} className="!border-0 !bg-transparent" />
    </div>
  );
}

const nodeTypes = { lineage: LineageCard };

const NARROW = "(max-width: 639px)";
const narrowScreen = {
  subscribe: (onChange: () => void) => {
    const query = window.matchMedia(NARROW);
    query.addEventListener("change", onChange);
    return () => query.removeEventListener("change", onChange);
  },
  get: () => window.matchMedia(NARROW).matches,
};

/** The box fits the layout's height (zoomed no further than 1), within bounds that keep a page scrollable. */
const boxHeight = (height: number, direction: LineageDirection) => Math.round(Math.min(direction === "LR" ? 360 : 520, Math.max(176, height + 48)));

/**
 * The lineage drawn with dagre — left to right, or top to bottom on a narrow screen — panned by
 * dragging and zoomed with the buttons or a pinch; the page scrolls over it as usual. Each node
 * links to its page.
 */
export function LineageGraph({ lineage, orgId }: { lineage: Lineage; orgId: string | undefined }) {
  const direction: LineageDirection = useSyncExternalStore(narrowScreen.subscribe, narrowScreen.get, () => false) ? "TB" : "LR";
  const { nodes, edges, height } = useMemo(() => {
    const { positions, height } = layoutLineage(lineage.nodes, lineage.edges, direction);
    const nodes: CardNode[] = lineage.nodes.map((node) => ({
      id: node.id,
      type: "lineage",
      position: positions.get(node.id) ?? { x: 0, y: 0 },
      // Neither draggable nor selectable, a node would let clicks through to the pane: its link takes them.
      style: { pointerEvents: "all" },
      data: {
        node,
        root: node.id === lineage.root.id,
        href: node.kind === "job" ? `/jobs/${encodeURIComponent(node.name)}` : attachmentHref(node, orgId),
        direction,
      },
    }));
    const edges: Edge[] = lineage.edges.map((edge) => {
      const look = edgeLooks[edge.kind];
      return {
        id: `${edge.kind}:${edge.from}:${edge.to}`,
        source: edge.from,
        target: edge.to,
        style: { stroke: look.color, strokeWidth: 1.5, ...(look.dashed ? { strokeDasharray: "5 4" } : {}) },
        markerEnd: { type: MarkerType.ArrowClosed, color: look.color, width: 16, height: 16 },
      };
    });
    return { nodes, edges, height: boxHeight(height, direction) };
  }, [lineage, orgId, direction]);

  return (
    <div role="group" aria-label="Lineage graph" style={{ height }} className="overflow-hidden rounded-md border border-zinc-200 bg-zinc-50/60">
      <ReactFlow
        // A new graph (another depth, a new node, a turned phone) is fitted to the view afresh.
        key={`${lineage.depth}:${nodes.length}:${edges.length}:${direction}`}
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        fitView
        fitViewOptions={{ padding: 0.12, maxZoom: 1 }}
        minZoom={0.15}
        maxZoom={1.5}
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable={false}
        // The links inside the nodes are the tab stops, not the nodes and edges around them.
        nodesFocusable={false}
        edgesFocusable={false}
        zoomOnScroll={false}
        preventScrolling={false}
      >
        <Controls showInteractive={false} position="bottom-left" />
      </ReactFlow>
    </div>
  );
}
