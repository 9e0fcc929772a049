import "server-only";
import type { CheckpointResponse } from "@/lib/api/schemas/checkpoints";
import { presentCheckpoint } from "@/lib/checkpoints/present";
import type { Db } from "@/lib/db/client";
import { findCheckpoint } from "@/lib/db/queries/checkpoints";
import { listFiles } from "@/lib/db/queries/files";
import { findJob, jobsUsingCheckpoint } from "@/lib/db/queries/jobs";
import type { Checkpoint, Job, JobCapture } from "@/lib/db/schema";
import { presentOneJob } from "@/lib/jobs/present";
import { emitWebhookEvent } from "./emit";

/*
 * The events, raised where they happen. Each builds its `data` as the API presents the resource
 * and, like everything in emit.ts, never fails or delays the action that raised it.
 */

/** The checkpoint as `GET /checkpoints/{ref}` answers it, files included. */
async function checkpointData(db: Db, { orgId, id }: { orgId: string; id: string }): Promise<CheckpointResponse> {
  const row = await findCheckpoint(db, { orgId, id });
  if (!row) throw new Error(`checkpoint ${id} is gone`);
  const [files, usedBy, producer] = await Promise.all([
    listFiles(db, { checkpointId: row.id }),
    jobsUsingCheckpoint(db, { orgId, checkpointId: row.id, scope: "lineage" }),
    row.producedByJobId ? findJob(db, { orgId, id: row.producedByJobId }) : null,
  ]);
  return presentCheckpoint(row, { files, usedBy, producedByName: producer?.name ?? null });
}

/** `checkpoint.ready` (committed, ingested, captured or derived) or `checkpoint.failed`. */
export async function notifyCheckpoint(event: "checkpoint.ready" | "checkpoint.failed", checkpoint: { orgId: string; id: string }, db?: Db): Promise<void> {
  await emitWebhookEvent(event, { orgId: checkpoint.orgId, db }, (conn) => checkpointData(conn, checkpoint));
}

/** `checkpoint.deleted`: the checkpoint as it was just before, without its (now gone) file list. */
export async function notifyCheckpointDeleted(row: Checkpoint, db?: Db): Promise<void> {
  await emitWebhookEvent("checkpoint.deleted", { orgId: row.orgId, db }, async (conn) => {
    const producer = row.producedByJobId ? await findJob(conn, { orgId: row.orgId, id: row.producedByJobId }) : null;
    return presentCheckpoint(row, { producedByName: producer?.name ?? null });
  });
}

/** `job.finished`: the job reached succeeded, failed or stopped. */
export async function notifyJobFinished(job: Job, db?: Db): Promise<void> {
  await emitWebhookEvent("job.finished", { orgId: job.orgId, db }, (conn) => presentOneJob(conn, job));
}

/** `capture.ready`: a job's output became a ready checkpoint. */
export async function notifyCaptureReady(job: Job, capture: JobCapture, db?: Db): Promise<void> {
  await emitWebhookEvent("capture.ready", { orgId: job.orgId, db }, async (conn) => {
    const presented = await presentOneJob(conn, job);
    const current = presented.captures.find((c) => c.id === capture.id);
    if (!current || !capture.checkpointId) throw new Error(`capture ${capture.id} is not part of job ${job.id}`);
    return { job: presented, capture: current, checkpoint: await checkpointData(conn, { orgId: job.orgId, id: capture.checkpointId }) };
  });
}
