/** The enumerations of a job, shared by the schema, the API and the browser (no server imports). */
export const jobTypes = ["training", "fine-tuning", "inference"] as const;
export type JobType = (typeof jobTypes)[number];

export const jobStatuses = ["queued", "running", "succeeded", "failed", "stopped"] as const;
export type JobStatus = (typeof jobStatuses)[number];

/** A job in one of these still holds its attachments (delete guard, mounts). */
export const activeJobStatuses = ["queued", "running"] as const satisfies readonly JobStatus[];

export const logStreams = ["stdout", "stderr", "system"] as const;
export type LogStream = (typeof logStreams)[number];

/** pending: found, not yet sent; uploading: files going up; ready: committed and verified; failed: kept on disk with why. */
export const captureStatuses = ["pending", "uploading", "ready", "failed"] as const;
export type CaptureStatus = (typeof captureStatuses)[number];

/** Where a deployment's jobs run (`CAIRN_JOB_RUNNER`); every runner starts the same agent. */
export const runnerKinds = ["local", "slurm", "kubernetes"] as const;
export type RunnerKind = (typeof runnerKinds)[number];

/** What a job may ask of its runner; which fields a runner honours is its `accepts`. */
export type JobResources = { gpus?: number; cpus?: number; memoryGb?: number; timeLimitMinutes?: number };
/** The resource-like fields of a job: its resources, the Slurm partition and the container image. */
export const resourceFields = ["gpus", "cpus", "memoryGb", "timeLimitMinutes", "partition", "image"] as const;
export type ResourceField = (typeof resourceFields)[number];

/** A job that prints forever must not fill the database: past this many lines, output is dropped. */
export const MAX_JOB_LOG_LINES = 100_000;

/** Variables the runner sets itself; a user's `env` cannot override them. */
export const reservedEnvKeys = [
  "FLEXAI_INPUT_CHECKPOINT_DIR",
  "FLEXAI_OUTPUT_CHECKPOINT_DIR",
  "TRAINML_CHECKPOINT_PATH",
  "CAIRN_JOB_ID",
  "CAIRN_JOB_TOKEN",
] as const;
