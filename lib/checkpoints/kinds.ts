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

export const sourceTypes = [
  "local",
  "s3",
  "wasabi",
  "gcs",
  "azure",
  "huggingface",
  "git",
  "web",
  "kaggle",
  "datastore",
  "job",
] as const;
export type SourceType = (typeof sourceTypes)[number];

export const visibilities = ["private", "public"] as const;
export type Visibility = (typeof visibilities)[number];
