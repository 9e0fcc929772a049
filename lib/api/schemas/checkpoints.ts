import { z } from "zod";
import { checkpointStatuses, sourceTypes, visibilities } from "@/lib/checkpoints/kinds";
import { NAME_RULE, nameProblem } from "@/lib/checkpoints/naming";
import { modelFacts, modelFormats } from "@/lib/model-facts/kinds";
import { limitParam, pageOf } from "./common";

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
  architecture: z.string().max(200).optional(),
  format: z.enum(modelFormats).optional(),
  /** Only checkpoints captured from this job's output (its id or name). */
  job: z.string().min(1).max(200).optional(),
  limit: limitParam,
  cursor: z.string().max(500).optional(),
});
export type ListCheckpointsQuery = z.infer<typeof listCheckpointsQuery>;

/** `job` checkpoints come from jobs' outputs and `derived` ones from `POST …/derive`, never from a create. */
const creatableSourceTypes = sourceTypes.filter((t) => t !== "job" && t !== "derived") as [string, ...string[]];

export const createCheckpointBody = z.object({
  name: checkpointName,
  sourceType: z.enum(creatableSourceTypes, { message: `sourceType must be one of ${creatableSourceTypes.join(", ")}` }),
  sourceUri: z.string().max(4096).optional(),
  connection: z.string().max(63).optional(),
  sourceOptions: z.record(z.string(), z.string()).optional(),
  /** `local` only: the paths on the pushing machine the files come from, shown as `spec.fromLocalFiles`. */
  fromLocalFiles: z
    .array(z.string().min(1, "A local path cannot be empty.").max(4096, "A local path has at most 4096 characters."))
    .max(1000, "At most 1000 local paths.")
    .optional(),
});
export type CreateCheckpointBody = z.infer<typeof createCheckpointBody>;

export const patchCheckpointBody = z.strictObject(
  {
    name: checkpointName.optional(),
    visibility: z.enum(visibilities).optional(),
    /** Kept by every retention policy while true (`metadata.pinned`). */
    pinned: z.boolean({ error: "pinned must be true or false" }).optional(),
  },
  {
    error: (issue) =>
      issue.code === "unrecognized_keys" ? "Only name, visibility and pinned can change; a checkpoint's content is immutable." : undefined,
  },
);
export type PatchCheckpointBody = z.infer<typeof patchCheckpointBody>;

export const getCheckpointQuery = z.object({ format: z.enum(["json", "yaml"]).default("json") });

/** `wait`: seconds a `computing` diff may be held back for its tensor digests (0: answer at once). */
export const diffQuery = z.object({
  wait: z.coerce.number().min(0, "wait is a number of seconds, 0 to 60").max(60, "wait at most 60 seconds; ask again for longer").default(0),
});

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
    /** Kept by every retention policy. */
    pinned: z.boolean(),
  }),
  spec: z.object({
    sourceType: z.enum(sourceTypes),
    sourceUri: z.string().nullable(),
    storageProvider: z.string().nullable(),
    sourceOptions: z.record(z.string(), z.string()),
    /** The local paths the CLI pushed the files from, as the pushing machine named them. */
    fromLocalFiles: z.array(z.string()),
    /** Lineage of a managed checkpoint: the job whose output it was captured from. */
    producedBy: z.object({ jobId: z.string(), jobName: z.string().nullable() }).nullable().optional(),
    /** Lineage of a derived checkpoint: the id of the checkpoint whose files it shares. */
    derivedFrom: z.string().nullable().optional(),
  }),
  status: z.object({
    status: z.enum(checkpointStatuses),
    message: z.string().nullable(),
    progress: checkpointProgress,
    size: z.number(),
    fileCount: z.number(),
    files: z.array(checkpointFile).optional(),
    usedBy: z.array(z.object({ jobId: z.string(), jobName: z.string(), status: z.string() })),
    /** The blob store holding the bytes: `filesystem:<dir>` or `s3:<bucket>`. */
    storageProviderID: z.string(),
    /** The training step read from a captured directory's name (`step-2000`, `checkpoint-500`). */
    step: z.number().nullable().optional(),
    /** Model facts read from the headers once ready (lib/model-facts); null until read. */
    model: modelFacts.nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    readyAt: z.string().nullable(),
  }),
});
export type CheckpointResponse = z.infer<typeof checkpointResponse>;
export type CheckpointFileResponse = z.infer<typeof checkpointFile>;

export const checkpointListResponse = pageOf(checkpointResponse);
export type CheckpointList = z.infer<typeof checkpointListResponse>;

/** `GET …/files`: every file (filtered by `prefix`) on one page. */
export const checkpointFileListResponse = pageOf(checkpointFile);
export type CheckpointFileList = z.infer<typeof checkpointFileListResponse>;

/** `PUT …/files/{path}`: the file as stored. */
export const storedFileResponse = z.object({ path: z.string(), sha256: z.string(), size: z.number() });
export type StoredFileResponse = z.infer<typeof storedFileResponse>;

/** `GET …/logs`: the creation log, oldest first. */
export const checkpointLogsResponse = z.object({
  items: z.array(z.object({ at: z.string(), level: z.enum(["info", "warn", "error"]), message: z.string() })),
});
export type CheckpointLogs = z.infer<typeof checkpointLogsResponse>;

/** `GET|POST …/license`: the license a public checkpoint of another organization asks its users to accept. */
export const licenseStateResponse = z.object({
  license: z.string().nullable(),
  required: z.boolean().describe("Attaching it to a job needs the caller's acceptance."),
  acceptedAt: z.string().nullable(),
});
export type LicenseStateResponse = z.infer<typeof licenseStateResponse>;

const pathList = z.array(z.string());

/** `GET /checkpoints/{a}/diff/{b}`: `computing` until every tensor digest it needs is known; ask again. */
export const checkpointDiffResponse = z.object({
  status: z.enum(["ready", "computing"]),
  files: z.object({ added: pathList, removed: pathList, changed: pathList, identical: pathList }),
  tensors: z
    .object({
      added: z.array(z.string()),
      removed: z.array(z.string()),
      identical: z.number(),
      changed: z.array(z.object({ name: z.string(), reason: z.enum(["shape", "dtype", "values"]) })),
    })
    .nullable(),
  parameters: z.object({ changed: z.number(), total: z.number() }).nullable(),
  /** Weight files whose headers or digests could not be read: their tensors are left out. */
  problems: z.array(z.string()),
});
export type CheckpointDiffResponse = z.infer<typeof checkpointDiffResponse>;

export { NAME_RULE };
