import { bigserial, boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { captureStatuses, jobStatuses, jobTypes, logStreams } from "@/lib/jobs/kinds";
import { orgs, users } from "./accounts";
import { checkpoints } from "./checkpoints";

export { captureStatuses, jobStatuses, jobTypes, logStreams } from "@/lib/jobs/kinds";
export type { CaptureStatus, JobStatus, JobType, LogStream } from "@/lib/jobs/kinds";

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
    /** The server process that accepted or runs the job (`host:pid:started`); recovery checks it is alive. */
    runnerInstance: text("runner_instance"),
    /** The job's own process id (its process group) while it runs on `runnerInstance`. */
    pid: integer("pid"),
    heartbeatAt: timestamp("heartbeat_at", { withTimezone: true }),
    stopRequestedAt: timestamp("stop_requested_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("jobs_org_name_idx").on(t.orgId, t.name),
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
  },
  (t) => [index("job_logs_job_idx").on(t.jobId, t.id)],
);

/** One capture of the job's output: a sub-directory, the root model, or a root file. */
export const jobCaptures = pgTable(
  "job_captures",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    jobId: uuid("job_id").notNull().references(() => jobs.id, { onDelete: "cascade" }),
    path: text("path").notNull(),
    name: text("name").notNull(),
    checkpointId: uuid("checkpoint_id").references(() => checkpoints.id, { onDelete: "set null" }),
    step: integer("step"),
    status: text("status", { enum: captureStatuses }).notNull(),
    message: text("message"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("job_captures_job_idx").on(t.jobId, t.createdAt), index("job_captures_checkpoint_idx").on(t.checkpointId)],
);

export type Job = typeof jobs.$inferSelect;
export type NewJob = typeof jobs.$inferInsert;
export type JobCheckpoint = typeof jobCheckpoints.$inferSelect;
export type JobLog = typeof jobLogs.$inferSelect;
export type JobCapture = typeof jobCaptures.$inferSelect;
