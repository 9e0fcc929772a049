import "server-only";
import { enqueueModelFacts } from "@/lib/queue/tasks";
import { notifyCheckpoint } from "@/lib/webhooks/events";

/**
 * What follows a checkpoint becoming `ready`, whichever way it got there (commit, ingest, capture,
 * derive): its model facts are read in the background and the org's webhooks hear of it. Never
 * fails the caller — the checkpoint is already ready; a task that could not be queued is found by
 * the facts workers' sweep.
 */
export async function afterCheckpointReady(checkpoint: { orgId: string; id: string }): Promise<void> {
  await enqueueModelFacts({ checkpointId: checkpoint.id, orgId: checkpoint.orgId }).catch((error) =>
    console.error(`could not queue the model facts of checkpoint ${checkpoint.id}`, error),
  );
  await notifyCheckpoint("checkpoint.ready", checkpoint);
}
