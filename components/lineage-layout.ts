import { Graph, layout } from "@dagrejs/dagre";
import type { LineageEdge, LineageNode } from "@/lib/api/schemas/lineage";

export const LINEAGE_NODE_WIDTH = 232;
export const LINEAGE_NODE_HEIGHT = 56;

/** `LR` on wide screens; `TB` on narrow ones, where a chain of nodes fits the width only stacked. */
export type LineageDirection = "LR" | "TB";

export type LineageLayout = { positions: Map<string, { x: number; y: number }>; width: number; height: number };

/**
 * Top-left positions of the nodes, laid out in the direction things flowed — a job's inputs, the
 * job, what it produced, what was derived from that, the jobs that used it — and the layout's size.
 */
export function layoutLineage(nodes: readonly LineageNode[], edges: readonly LineageEdge[], direction: LineageDirection): LineageLayout {
  const graph = new Graph();
  graph.setGraph({ rankdir: direction, nodesep: direction === "LR" ? 20 : 16, ranksep: direction === "LR" ? 44 : 36, marginx: 8, marginy: 8 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) graph.setNode(node.id, { width: LINEAGE_NODE_WIDTH, height: LINEAGE_NODE_HEIGHT });
  for (const edge of edges) graph.setEdge(edge.from, edge.to);
  layout(graph);
  const positions = new Map(
    nodes.map((node) => {
      const { x, y } = graph.node(node.id) as { x: number; y: number };
      return [node.id, { x: x - LINEAGE_NODE_WIDTH / 2, y: y - LINEAGE_NODE_HEIGHT / 2 }];
    }),
  );
  const size = graph.graph() as { width?: number; height?: number };
  return { positions, width: size.width ?? 0, height: size.height ?? 0 };
}
