import "server-only";
import { notFound } from "@/lib/api/errors";
import { isUuid } from "@/lib/api/schemas/common";
import type { Caller } from "@/lib/auth/caller";
import type { Db } from "@/lib/db/client";
import { attachmentsOf } from "@/lib/db/queries/jobs";
import type { Checkpoint } from "@/lib/db/schema";

/**
 * What a job token may reach beyond its agent endpoints: the files of the checkpoints its job
 * attaches (its own organization's or public ones), and the uploads of the checkpoints it captures.
 * Anything else answers 404, as another organization's resources do.
 */

/** The organization to read checkpoint `ref` in: the caller's, or for a job the attached checkpoint's owner. */
export async function readableCheckpointOrg(db: Db, caller: Caller, ref: string): Promise<string> {
  if (!caller.job) return caller.orgId;
  const attached = isUuid(ref) ? (await attachmentsOf(db, { jobIds: [caller.job.id] })).find((a) => a.checkpointId === ref) : undefined;
  if (!attached) throw notFound(`Checkpoint '${ref}'`);
  return attached.ownerOrgId;
}

/** A job writes only into the checkpoints it captures. */
export function assertWritableByCaller(caller: Caller, checkpoint: Checkpoint): void {
  if (caller.job && checkpoint.producedByJobId !== caller.job.id) throw notFound(`Checkpoint '${checkpoint.name}'`);
}
