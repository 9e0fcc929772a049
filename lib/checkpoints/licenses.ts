import "server-only";
import { ApiError } from "@/lib/api/errors";
import type { Db } from "@/lib/db/client";
import { findLicenseAcceptance, recordLicenseAcceptance } from "@/lib/db/queries/licenses";
import type { Checkpoint, User } from "@/lib/db/schema";
import type { ModelFacts } from "@/lib/model-facts/kinds";
import { resolveCheckpoint } from "./service";
import type { LicenseStateResponse } from "@/lib/api/schemas/checkpoints";

/** The license a checkpoint's model card or LICENSE file names (model facts), or null. */
export const licenseOf = (row: Checkpoint): string | null => (row.model as ModelFacts | null)?.license ?? null;

/** A checkpoint of another organization with a license: using it asks the user to accept it, once. */
export const needsAcceptance = (row: Checkpoint, orgId: string): boolean => row.orgId !== orgId && row.visibility === "public" && licenseOf(row) !== null;

export type LicenseState = LicenseStateResponse;

/** What the caller has to accept before attaching this checkpoint, and whether they did. */
export async function licenseState(db: Db, { orgId, user, ref }: { orgId: string; user: User; ref: string }): Promise<LicenseState> {
  const row = await resolveCheckpoint(db, { orgId, ref, allowPublic: true });
  const accepted = await findLicenseAcceptance(db, { checkpointId: row.id, userId: user.id });
  return { license: licenseOf(row), required: needsAcceptance(row, orgId), acceptedAt: accepted?.acceptedAt.toISOString() ?? null };
}

/** Records that the caller accepts the checkpoint's license (who and when); accepting twice keeps the first. */
export async function acceptLicense(db: Db, { orgId, user, ref }: { orgId: string; user: User; ref: string }): Promise<LicenseState> {
  const row = await resolveCheckpoint(db, { orgId, ref, allowPublic: true });
  const license = licenseOf(row);
  if (!license) throw new ApiError("validation_failed", `Checkpoint '${row.name}' names no license; there is nothing to accept.`, { fields: { license: "none" } });
  const accepted = await recordLicenseAcceptance(db, { checkpointId: row.id, userId: user.id, license });
  return { license, required: needsAcceptance(row, orgId), acceptedAt: accepted?.acceptedAt.toISOString() ?? null };
}

/**
 * Before a job attaches a licensed public checkpoint: the user accepted it earlier, or accepts it
 * now (`accept`, recorded in the caller's transaction); otherwise a 422 on that attachment that
 * names the license and says how to accept it.
 */
export async function ensureLicenseAccepted(db: Db, { orgId, user, row, accept, index }: { orgId: string; user: User; row: Checkpoint; accept: boolean; index: number }): Promise<void> {
  if (!needsAcceptance(row, orgId)) return;
  const license = licenseOf(row)!;
  if (await findLicenseAcceptance(db, { checkpointId: row.id, userId: user.id })) return;
  if (accept) {
    await recordLicenseAcceptance(db, { checkpointId: row.id, userId: user.id, license });
    return;
  }
  const message = `Checkpoint '${row.name}' is licensed under ${license}. Read its license, then accept it to attach the checkpoint (acceptLicense: true, or --accept-license).`;
  throw new ApiError("validation_failed", `Fix these fields and try again — checkpoints.${index}.acceptLicense: ${message}`, {
    fields: { [`checkpoints.${index}.acceptLicense`]: message },
    license,
  });
}
