import { bigserial, boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { captureStatuses, jobStatuses, jobTypes, logStreams, runnerKinds, type JobResources } from "@/lib/jobs/kinds";
import { orgs, users } from "./accounts";
import { checkpoints } from "./checkpoints";

export { captureStatuses, jobStatuses, jobTypes, logStreams, runnerKinds } from "@/lib/jobs/kinds";
export type { CaptureStatus, JobResources, JobStatus, JobType, LogStream, RunnerKind } from "@/lib/jobs/kinds";

export const jobs = pgTable(
  "jobs",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: uuid("org_id").notNull().references(() => orgs.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    type: text("type", { enum: jobTypes }).notNull(),
    status: text("status", { enum: jobStatuses }).notNull().default("queued"),
    message: text("message"),
    command: jsonb("command").$type<string[]>().notNull(),
    /** The user's variables, AES-256-GCM sealed like connection secrets; only the keys are shown. */
    envCiphertext: text("env_ciphertext").notNull(),
    envKeys: jsonb("env_keys").$type<string[]>().notNull().default([]),
    captureOutputs: boolean("capture_outputs").notNull().default(true),
    exitCode: integer("exit_code"),
    creatorUserId: uuid("creator_user_id").references(() => users.id, { onDelete: "set null" }),
    /** The machine whose local runner took the job (`CAIRN_MAX_RUNNING_JOBS` counts per machine). */
    runnerInstance: text("runner_instance"),
    /** Unused since jobs run through the agent; kept so older rows still read. */
    pid: integer("pid"),
    runner: text("runner", { enum: runnerKinds }).notNull().default("local"),
    /** The engine's id: the Slurm job id, the Kubernetes Job name, or the local agent's pid. */
    runnerJobId: text("runner_job_id"),
    /** The engine's own words on the job's state: Slurm's pending reason, `OOMKilled`, "agent lost". */
    statusMessage: text("status_message"),
    resources: jsonb("resources").$type<JobResources>().notNull().default({}),
    partition: text("partition"),
    image: text("image"),
    /** When the runner was handed the job (its agent may still wait in the engine's queue). */
    submittedAt: timestamp("submitted_at", { withTimezone: true }),
    /** The agent's last sign of life. */
    heartbeatAt: timestamp("heartbeat_at", { withTimezone: true }),
    /** SHA-256 of the job-scoped token its agent holds; the token itself is never stored. */
    agentTokenHash: text("agent_token_hash"),
    agentTokenExpiresAt: timestamp("agent_token_expires_at", { withTimezone: true }),
    /** Set by *Retry capture*; the agent retries every failed capture it has not retried since. */
    captureRetryAt: timestamp("capture_retry_at", { withTimezone: true }),
    stopRequestedAt: timestamp("stop_requested_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("jobs_org_name_idx").on(t.orgId, t.name),
    uniqueIndex("jobs_agent_token_idx").on(t.agentTokenHash),
    index("jobs_org_created_idx").on(t.orgId, t.createdAt, t.id),
    index("jobs_status_idx").on(t.status, t.createdAt),
  ],
);

/** A checkpoint attached to a job; `releasedAt` is set when the job ends and lets go of it. */
export const jobCheckpoints = pgTable(
  "job_checkpoints",
  {
    jobId: uuid("job_id").notNull().references(() => jobs.id, { onDelete: "cascade" }),
    checkpointId: uuid("checkpoint_id").notNull().references(() => checkpoints.id, { onDelete: "cascade" }),
    position: integer("position").notNull(),
    /** The directory name under `$FLEXAI_INPUT_CHECKPOINT_DIR` (the checkpoint's name at launch). */
    mountName: text("mount_name").notNull(),
    public: boolean("public").notNull().default(false),
    releasedAt: timestamp("released_at", { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.checkpointId] }), index("job_checkpoints_checkpoint_idx").on(t.checkpointId)],
);

export const jobLogs = pgTable(
  "job_logs",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    jobId: uuid("job_id").notNull().references(() => jobs.id, { onDelete: "cascade" }),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    stream: text("stream", { enum: logStreams }).notNull(),
    message: text("message").notNull(),
    /** The agent's number for the line: a batch sent twice (after a lost answer) is stored once. */
    seq: integer("seq"),
  },
  (t) => [index("job_logs_job_idx").on(t.jobId, t.id), uniqueIndex("job_logs_job_seq_idx").on(t.jobId, t.seq)],
);

/** One capture of the job's output: a sub-directory, the root model, or a root file. */
export const jobCaptures = pgTable(
  "job_captures",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    jobId: uuid("job_id").notNull().references(() => jobs.id, { onDelete: "cascade" }),
    /** The agent's key for this capture (path and what it saw of the files): a repeated request finds this row. */
    key: text("key"),
    path: text("path").notNull(),
    name: text("name").notNull(),
    checkpointId: uuid("checkpoint_id").references(() => checkpoints.id, { onDelete: "set null" }),
    step: integer("step"),
    status: text("status", { enum: captureStatuses }).notNull(),
    message: text("message"),
    attempts: integer("attempts").notNull().default(0),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("job_captures_job_idx").on(t.jobId, t.createdAt),
    index("job_captures_checkpoint_idx").on(t.checkpointId),
    uniqueIndex("job_captures_job_key_idx").on(t.jobId, t.key),
  ],
);

export type Job = typeof jobs.$inferSelect;
export type NewJob = typeof jobs.$inferInsert;
export type JobCheckpoint = typeof jobCheckpoints.$inferSelect;
export type JobLog = typeof jobLogs.$inferSelect;
export type JobCapture = typeof jobCaptures.$inferSelect;

/**
 * A named duty that one process at a time holds for a while (job supervision): whoever holds an
 * unexpired lease does the work, and a process that dies lets it lapse for another to take.
 */
export const leases = pgTable("leases", {
  name: text("name").primaryKey(),
  holder: text("holder").notNull(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
});
