import { z } from "zod";

export const storageQuery = z.object({
  limit: z.coerce.number().int().min(1, "limit must be 1–200").max(200, "limit must be 1–200").default(50).describe("How many of the largest consumers to list."),
});

export const storageResponse = z.object({
  /** Each blob the organization's live checkpoints reference, counted once: what the quota is enforced on. */
  usedBytes: z.number(),
  /** The sum of checkpoint sizes, as if nothing were shared. */
  logicalBytes: z.number(),
  /** `logicalBytes - usedBytes`: what content-addressed storage saves. */
  savedBytes: z.number(),
  /** Declared by uploads in flight; held against the quota on top of `usedBytes`. */
  reservedBytes: z.number(),
  quotaBytes: z.number(),
  checkpointCount: z.number(),
  blobCount: z.number(),
  /** The largest consumers by exclusive bytes (what deleting each one frees), then by size. */
  checkpoints: z.array(
    z.object({ id: z.string(), name: z.string(), logicalBytes: z.number(), exclusiveBytes: z.number(), sharedBytes: z.number(), createdAt: z.string() }),
  ),
  /** Usage per job series: the checkpoints captured from one job (`jobId: null`: not from a job). */
  series: z.array(
    z.object({ jobId: z.string().nullable(), jobName: z.string().nullable(), checkpoints: z.number(), logicalBytes: z.number(), exclusiveBytes: z.number() }),
  ),
});
export type StorageResponse = z.infer<typeof storageResponse>;
