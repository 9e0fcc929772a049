import type { LineageEdgeKind } from "@/lib/api/schemas/lineage";

/** How each kind of lineage edge is drawn, in the graph and its legend. */
export const edgeLooks: Record<LineageEdgeKind, { label: string; color: string; dashed: boolean }> = {
  produced: { label: "produced", color: "oklch(58.5% 0.233 277.117)", dashed: false },
  derived: { label: "derived", color: "oklch(59.6% 0.145 163.225)", dashed: false },
  used: { label: "used by", color: "oklch(55.2% 0.016 285.938)", dashed: true },
};
