import { ApiError } from "@/lib/api/errors";
import { config } from "@/lib/config";
import type { Db } from "@/lib/db/client";
import { declaredBytesOfCheckpoint } from "@/lib/db/queries/uploads";
import type { Checkpoint } from "@/lib/db/schema";
import { formatBytes } from "@/lib/format";
import { orgUsage } from "@/lib/usage/service";

export type Budget = { maxBytes: number; error: (attempted?: number) => ApiError };

/**
 * How many more bytes may land in this checkpoint now: the smaller of what is left under the
 * checkpoint cap and under the org quota (on unique bytes: a blob the org already holds counts
 * once), with the error to give when a write goes past it.
 */
export async function uploadBudget(db: Db, checkpoint: Checkpoint): Promise<Budget> {
  const { maxCheckpointBytes, orgQuotaBytes } = config();
  const [{ usedBytes: usage }, declared] = await Promise.all([
    orgUsage(db, { orgId: checkpoint.orgId }),
    declaredBytesOfCheckpoint(db, { checkpointId: checkpoint.id }),
  ]);
  const capLeft = Math.max(0, maxCheckpointBytes - checkpoint.size - declared);
  const quotaLeft = Math.max(0, orgQuotaBytes - usage);
  if (quotaLeft < capLeft) {
    return {
      maxBytes: quotaLeft,
      error: (attempted?: number) => {
        const missing = attempted === undefined ? null : Math.max(0, attempted - quotaLeft);
        return new ApiError(
          "quota_exceeded",
          `This upload would exceed your organization's storage quota: ${formatBytes(usage)} of ${formatBytes(orgQuotaBytes)} used` +
            `${missing ? `, ${formatBytes(missing)} missing for it` : ""}. Delete checkpoints you no longer need or ask an administrator to raise CAIRN_ORG_QUOTA_BYTES.`,
          { usageBytes: usage, quotaBytes: orgQuotaBytes, ...(missing === null ? {} : { missingBytes: missing }) },
        );
      },
    };
  }
  return {
    maxBytes: capLeft,
    error: () =>
      new ApiError(
        "payload_too_large",
        `This upload would make the checkpoint larger than the ${formatBytes(maxCheckpointBytes)} limit (it holds ${formatBytes(checkpoint.size + declared)}). Split it into several checkpoints or ask an administrator to raise CAIRN_MAX_CHECKPOINT_BYTES.`,
        { sizeBytes: checkpoint.size + declared, limitBytes: maxCheckpointBytes },
      ),
  };
}

/** Throws the budget's error when a declared length does not fit. */
export async function assertFits(db: Db, checkpoint: Checkpoint, declaredBytes: number): Promise<void> {
  const budget = await uploadBudget(db, checkpoint);
  if (declaredBytes > budget.maxBytes) throw budget.error(declaredBytes);
}
