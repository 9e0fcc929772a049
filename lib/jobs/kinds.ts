/** The enumerations of a job, shared by the schema, the API and the browser (no server imports). */
export const jobTypes = ["training", "fine-tuning", "inference"] as const;
export type JobType = (typeof jobTypes)[number];

export const jobStatuses = ["queued", "running", "succeeded", "failed", "stopped"] as const;
export type JobStatus = (typeof jobStatuses)[number];

/** A job in one of these still holds its attachments (delete guard, mounts). */
export const activeJobStatuses = ["queued", "running"] as const satisfies readonly JobStatus[];

export const logStreams = ["stdout", "stderr", "system"] as const;
export type LogStream = (typeof logStreams)[number];

export const captureStatuses = ["capturing", "ready", "failed"] as const;
export type CaptureStatus = (typeof captureStatuses)[number];

/** Variables the runner sets itself; a user's `env` cannot override them. */
export const reservedEnvKeys = ["FLEXAI_INPUT_CHECKPOINT_DIR", "FLEXAI_OUTPUT_CHECKPOINT_DIR", "TRAINML_CHECKPOINT_PATH"] as const;
