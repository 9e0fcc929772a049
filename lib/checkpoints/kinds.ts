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
 * specs, in `lib/sources/specs.ts`), a job's output, or another checkpoint (`derived`). `local`, `job` and `derived` have no adapter.
 */
export type SourceType = "local" | RegisteredSourceType | "job" | "derived";
export const sourceTypes: readonly [SourceType, ...SourceType[]] = ["local", ...sourceSpecTypes, "job", "derived"];

export const visibilities = ["private", "public"] as const;
export type Visibility = (typeof visibilities)[number];
