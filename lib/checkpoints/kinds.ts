import { sourceSpecTypes, type RegisteredSourceType } from "@/lib/sources/specs";

/** The enumerations of a checkpoint, shared by the schema, the API and the browser (no server imports). */
export const checkpointStatuses = [
  "new",
  "uploading",
  "downloading",
  "extracting",
  "ready",
  "exporting",
  "failed",
] as const;
export type CheckpointStatus = (typeof checkpointStatuses)[number];

/** Content complete and frozen: a checkpoint in these states can be downloaded, exported and attached. */
export const isComplete = (status: CheckpointStatus): boolean => status === "ready" || status === "exporting";

/**
 * Where a checkpoint's files came from: a local upload, one of the registered source types (their
 * specs, in `lib/sources/specs.ts`), or a job's output. `local` and `job` have no adapter.
 */
export type SourceType = "local" | RegisteredSourceType | "job";
export const sourceTypes: readonly [SourceType, ...SourceType[]] = ["local", ...sourceSpecTypes, "job"];

export const visibilities = ["private", "public"] as const;
export type Visibility = (typeof visibilities)[number];
