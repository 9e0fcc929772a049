import { z } from "zod";
import { checkpointStatuses, sourceTypes, visibilities } from "@/lib/checkpoints/kinds";
import { NAME_RULE, nameProblem } from "@/lib/checkpoints/naming";
import { limitParam } from "./common";

export const checkpointName = z.string().superRefine((value, ctx) => {
  const problem = nameProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

export const checkpointSorts = ["name", "-name", "size", "-size", "createdAt", "-createdAt"] as const;
export type CheckpointSort = (typeof checkpointSorts)[number];

export const listCheckpointsQuery = z.object({
  q: z.string().max(200).optional(),
  status: z.enum(checkpointStatuses).optional(),
  sourceType: z.enum(sourceTypes).optional(),
  visibility: z.enum([...visibilities, "all"]).default("all"),
  sort: z.enum(checkpointSorts).default("-createdAt"),
  limit: limitParam,
  cursor: z.string().max(500).optional(),
});
export type ListCheckpointsQuery = z.infer<typeof listCheckpointsQuery>;

export const createCheckpointBody = z.object({
  name: checkpointName,
  sourceType: z.enum(sourceTypes.filter((t) => t !== "job") as [string, ...string[]], {
    message: `sourceType must be one of ${sourceTypes.filter((t) => t !== "job").join(", ")}`,
  }),
  sourceUri: z.string().max(4096).optional(),
  connection: z.string().max(63).optional(),
  sourceOptions: z.record(z.string(), z.string()).optional(),
});
export type CreateCheckpointBody = z.infer<typeof createCheckpointBody>;

export const patchCheckpointBody = z.strictObject(
  { name: checkpointName.optional(), visibility: z.enum(visibilities).optional() },
  {
    error: (issue) =>
      issue.code === "unrecognized_keys" ? "Only name and visibility can change; a checkpoint's content is immutable." : undefined,
  },
);
export type PatchCheckpointBody = z.infer<typeof patchCheckpointBody>;

export const getCheckpointQuery = z.object({ format: z.enum(["json", "yaml"]).default("json") });

export const listFilesQuery = z.object({ prefix: z.string().max(1024).optional() });

export const checkpointFile = z.object({ path: z.string(), size: z.number(), sha256: z.string() });

export const checkpointProgress = z.object({
  bytesDone: z.number(),
  bytesTotal: z.number().nullable(),
  filesDone: z.number(),
  filesTotal: z.number().nullable(),
});

export const checkpointResponse = z.object({
  kind: z.literal("Checkpoint"),
  metadata: z.object({
    id: z.string(),
    name: z.string(),
    creatorUserID: z.string().nullable(),
    ownerOrgID: z.string(),
    visibility: z.enum(visibilities),
  }),
  spec: z.object({
    sourceType: z.enum(sourceTypes),
    sourceUri: z.string().nullable(),
    storageProvider: z.string().nullable(),
    sourceOptions: z.record(z.string(), z.string()),
    fromLocalFiles: z.array(z.string()),
    /** Lineage of a managed checkpoint: the job whose output it was captured from. */
    producedBy: z.object({ jobId: z.string(), jobName: z.string().nullable() }).nullable().optional(),
  }),
  status: z.object({
    status: z.enum(checkpointStatuses),
    message: z.string().nullable(),
    progress: checkpointProgress,
    size: z.number(),
    fileCount: z.number(),
    files: z.array(checkpointFile).optional(),
    usedBy: z.array(z.object({ jobId: z.string(), jobName: z.string(), status: z.string() })),
    /** The training step read from a captured directory's name (`step-2000`, `checkpoint-500`). */
    step: z.number().nullable().optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
    readyAt: z.string().nullable(),
  }),
});
export type CheckpointResponse = z.infer<typeof checkpointResponse>;
export type CheckpointFileResponse = z.infer<typeof checkpointFile>;

export type CheckpointList = { items: CheckpointResponse[]; nextCursor: string | null; total: number };

export { NAME_RULE };
