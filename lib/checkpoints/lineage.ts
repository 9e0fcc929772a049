import "server-only";
import { LINEAGE_MAX_NODES, type Lineage, type LineageEdge, type LineageNode, type LineageNodeKind } from "@/lib/api/schemas/lineage";
import type { Db } from "@/lib/db/client";
import { lineageAttachments, lineageCheckpoints, lineageJobs, type LineageCheckpointRow } from "@/lib/db/queries/lineage";
import { resolveJob } from "@/lib/jobs/service";
import { resolveCheckpoint } from "./service";

type Scope = { orgId: string; ref: string; depth: number };

/** The graph around a checkpoint (the org's own or a public one): `GET /checkpoints/{ref}/lineage`. */
export async function checkpointLineage(db: Db, { orgId, ref, depth }: Scope): Promise<Lineage> {
  const root = await resolveCheckpoint(db, { orgId, ref, allowPublic: true });
  return walkLineage(db, { orgId, depth, root: { kind: "checkpoint", checkpoint: root } });
}

/** The graph around one of the org's jobs: `GET /jobs/{ref}/lineage`. */
export async function jobLineage(db: Db, { orgId, ref, depth }: Scope): Promise<Lineage> {
  const root = await resolveJob(db, { orgId, ref });
  return walkLineage(db, { orgId, depth, root: { kind: "job", job: root } });
}

type Root = { kind: "checkpoint"; checkpoint: LineageCheckpointRow } | { kind: "job"; job: { id: string; name: string; status: string; orgId: string } };

/**
 * A breadth-first walk from the root, `depth` steps along every kind of edge in both directions
 * (produced by / produced, used / used by, derived from / derived into), stopping at
 * LINEAGE_MAX_NODES nodes. Only what the org may see is read (lib/db/queries/lineage.ts); the
 * edges are then every link among the nodes found, so a link between two nodes at the edge of the
 * walk is drawn too.
 */
async function walkLineage(db: Db, { orgId, depth, root }: { orgId: string; depth: number; root: Root }): Promise<Lineage> {
  const nodes = new Map<string, LineageNode>();
  const checkpointRows = new Map<string, LineageCheckpointRow>();
  let truncated = false;
  const add = (kind: LineageNodeKind, row: { id: string; name: string; status: string; orgId: string }, at: number): boolean => {
    if (nodes.has(row.id)) return false;
    if (nodes.size >= LINEAGE_MAX_NODES) {
      truncated = true;
      return false;
    }
    nodes.set(row.id, { id: row.id, kind, name: row.name, status: row.status, depth: at, ownerOrgID: row.orgId });
    return true;
  };

  let frontier: { checkpoints: LineageCheckpointRow[]; jobIds: string[] } = { checkpoints: [], jobIds: [] };
  if (root.kind === "checkpoint") {
    add("checkpoint", root.checkpoint, 0);
    checkpointRows.set(root.checkpoint.id, root.checkpoint);
    frontier.checkpoints.push(root.checkpoint);
  } else {
    add("job", root.job, 0);
    frontier.jobIds.push(root.job.id);
  }

  for (let step = 1; step <= depth && (frontier.checkpoints.length > 0 || frontier.jobIds.length > 0) && !truncated; step += 1) {
    const checkpointIds = frontier.checkpoints.map((c) => c.id);
    const attached = await lineageAttachments(db, { orgId, checkpointIds, jobIds: frontier.jobIds });
    const fromCheckpoints = new Set(checkpointIds);
    const fromJobs = new Set(frontier.jobIds);
    const [foundCheckpoints, foundJobs] = await Promise.all([
      lineageCheckpoints(db, {
        orgId,
        ids: [
          ...frontier.checkpoints.flatMap((c) => (c.derivedFromId ? [c.derivedFromId] : [])),
          ...attached.filter((a) => fromJobs.has(a.jobId)).map((a) => a.checkpointId),
        ],
        derivedFrom: checkpointIds,
        producedBy: frontier.jobIds,
      }),
      lineageJobs(db, {
        orgId,
        ids: [
          ...frontier.checkpoints.flatMap((c) => (c.producedByJobId ? [c.producedByJobId] : [])),
          ...attached.filter((a) => fromCheckpoints.has(a.checkpointId)).map((a) => a.jobId),
        ],
      }),
    ]);
    const next: typeof frontier = { checkpoints: [], jobIds: [] };
    for (const row of foundCheckpoints) {
      if (!add("checkpoint", row, step)) continue;
      checkpointRows.set(row.id, row);
      next.checkpoints.push(row);
    }
    for (const row of foundJobs) if (add("job", row, step)) next.jobIds.push(row.id);
    frontier = next;
  }

  return { root: { id: root.kind === "job" ? root.job.id : root.checkpoint.id, kind: root.kind }, depth, nodes: [...nodes.values()], edges: await edgesAmong(db, orgId, nodes, checkpointRows), truncated };
}

async function edgesAmong(db: Db, orgId: string, nodes: Map<string, LineageNode>, checkpointRows: Map<string, LineageCheckpointRow>): Promise<LineageEdge[]> {
  const edges: LineageEdge[] = [];
  for (const row of checkpointRows.values()) {
    if (row.producedByJobId && nodes.get(row.producedByJobId)?.kind === "job") edges.push({ from: row.producedByJobId, to: row.id, kind: "produced" });
    if (row.derivedFromId && nodes.get(row.derivedFromId)?.kind === "checkpoint") edges.push({ from: row.derivedFromId, to: row.id, kind: "derived" });
  }
  const jobIds = [...nodes.values()].filter((n) => n.kind === "job").map((n) => n.id);
  const used = await lineageAttachments(db, { orgId, checkpointIds: [...checkpointRows.keys()], jobIds, among: true });
  for (const { checkpointId, jobId } of used) edges.push({ from: checkpointId, to: jobId, kind: "used" });
  return edges;
}
