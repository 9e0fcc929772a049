import "server-only";
import { enqueueRetention } from "@/lib/queue/tasks";

/**
 * What follows a capture becoming `ready`: the org's retention policies are applied a few
 * seconds later by a queue worker (debounced, so a burst of captures shares one pass). Never
 * fails the caller; a task that could not be queued is covered by the hourly pass.
 */
export async function afterCapture({ orgId }: { orgId: string }): Promise<void> {
  await enqueueRetention(orgId).catch((error) => console.error(`could not queue the retention pass of org ${orgId}`, error));
}
