import { z } from "zod";

export const LINEAGE_MAX_DEPTH = 5;
/** A lineage stops growing at this many nodes and says so (`truncated`). */
export const LINEAGE_MAX_NODES = 150;

export const lineageQuery = z.object({
  depth: z.coerce
    .number({ error: `depth is a number of steps from 1 to ${LINEAGE_MAX_DEPTH}.` })
    .int(`depth is a whole number from 1 to ${LINEAGE_MAX_DEPTH}.`)
    .min(1, `depth is from 1 to ${LINEAGE_MAX_DEPTH}.`)
    .max(LINEAGE_MAX_DEPTH, `depth is from 1 to ${LINEAGE_MAX_DEPTH}.`)
    .default(2),
});
export type LineageQuery = z.infer<typeof lineageQuery>;

export const lineageNodeKinds = ["checkpoint", "job"] as const;
export const lineageEdgeKinds = ["produced", "used", "derived"] as const;
export type LineageNodeKind = (typeof lineageNodeKinds)[number];
export type LineageEdgeKind = (typeof lineageEdgeKinds)[number];

export const lineageNode = z.object({
  id: z.string(),
  kind: z.enum(lineageNodeKinds),
  name: z.string(),
  /** The checkpoint's or the job's status. */
  status: z.string(),
  /** Steps from the node the lineage was asked for (0). */
  depth: z.number(),
  /** The organization that owns it: another one's only for a public checkpoint of the catalog. */
  ownerOrgID: z.string(),
});

/** `produced`: job → checkpoint it captured; `used`: checkpoint → job that attached it; `derived`: source → derived checkpoint. */
export const lineageEdge = z.object({ from: z.string(), to: z.string(), kind: z.enum(lineageEdgeKinds) });

export const lineageResponse = z.object({
  root: z.object({ id: z.string(), kind: z.enum(lineageNodeKinds) }),
  depth: z.number(),
  nodes: z.array(lineageNode),
  edges: z.array(lineageEdge),
  /** More nodes lie within `depth` than the `LINEAGE_MAX_NODES` shown. */
  truncated: z.boolean(),
});
export type LineageNode = z.infer<typeof lineageNode>;
export type LineageEdge = z.infer<typeof lineageEdge>;
export type Lineage = z.infer<typeof lineageResponse>;
