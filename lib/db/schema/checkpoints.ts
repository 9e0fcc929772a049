import { sql } from "drizzle-orm";
import {
  bigint,
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { checkpointStatuses, sourceTypes, visibilities } from "@/lib/checkpoints/kinds";
import { orgs, users } from "./accounts";

export { checkpointStatuses, sourceTypes, visibilities } from "@/lib/checkpoints/kinds";
export type { CheckpointStatus, SourceType, Visibility } from "@/lib/checkpoints/kinds";

export const checkpoints = pgTable(
  "checkpoints",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: uuid("org_id").notNull().references(() => orgs.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    creatorUserId: uuid("creator_user_id").references(() => users.id, { onDelete: "set null" }),
    visibility: text("visibility", { enum: visibilities }).notNull().default("private"),
    sourceType: text("source_type", { enum: sourceTypes }).notNull(),
    sourceUri: text("source_uri"),
    connection: text("connection"),
    sourceOptions: jsonb("source_options").$type<Record<string, string>>().notNull().default({}),
    status: text("status", { enum: checkpointStatuses }).notNull(),
    message: text("message"),
    bytesDone: bigint("bytes_done", { mode: "number" }).notNull().default(0),
    bytesTotal: bigint("bytes_total", { mode: "number" }),
    filesDone: integer("files_done").notNull().default(0),
    filesTotal: integer("files_total"),
    size: bigint("size", { mode: "number" }).notNull().default(0),
    fileCount: integer("file_count").notNull().default(0),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    readyAt: timestamp("ready_at", { withTimezone: true }),
    /** Set by the worker that owns the running ingest; progress writes by anyone else are ignored. */
    ingestToken: uuid("ingest_token"),
    ingestAttempts: integer("ingest_attempts").notNull().default(0),
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
    /** The job whose output this checkpoint was captured from (source type `job`). */
    producedByJobId: uuid("produced_by_job_id"),
    /** The training step read from the captured directory's name (`step-2000`, `checkpoint-500`). */
    step: integer("step"),
    /** Model facts read from the files' headers once the checkpoint is ready (`status.model`); null until read. */
    model: jsonb("model").$type<Record<string, unknown>>(),
    /** Kept by every retention policy. */
    pinned: boolean("pinned").notNull().default(false),
    /** The checkpoint this one was derived from (source type `derived`), sharing its blobs. */
    derivedFromId: uuid("derived_from_id"),
    /** The local paths a CLI push read its files from (`spec.fromLocalFiles`), as the pushing machine named them. */
    fromLocalFiles: jsonb("from_local_files").$type<string[]>().notNull().default([]),
  },
  (t) => [
    uniqueIndex("checkpoints_org_name_live_idx").on(t.orgId, t.name).where(sql`${t.deletedAt} is null`),
    index("checkpoints_org_created_idx").on(t.orgId, t.createdAt, t.id),
    index("checkpoints_org_size_idx").on(t.orgId, t.size, t.id),
    index("checkpoints_org_status_idx").on(t.orgId, t.status),
    index("checkpoints_public_idx").on(t.visibility, t.createdAt),
  ],
);

export const checkpointFiles = pgTable(
  "checkpoint_files",
  {
    checkpointId: uuid("checkpoint_id")
      .notNull()
      .references(() => checkpoints.id, { onDelete: "cascade" }),
    path: text("path").notNull(),
    size: bigint("size", { mode: "number" }).notNull(),
    sha256: text("sha256").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.checkpointId, t.path] }), index("checkpoint_files_sha_idx").on(t.sha256)],
);

export const checkpointLogs = pgTable(
  "checkpoint_logs",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    checkpointId: uuid("checkpoint_id")
      .notNull()
      .references(() => checkpoints.id, { onDelete: "cascade" }),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    level: text("level", { enum: ["info", "warn", "error"] }).notNull(),
    message: text("message").notNull(),
  },
  (t) => [index("checkpoint_logs_checkpoint_idx").on(t.checkpointId, t.id)],
);

/** A tus upload in flight: which checkpoint and path it will become, and what it declared. */
export const uploads = pgTable(
  "uploads",
  {
    id: text("id").primaryKey(),
    orgId: uuid("org_id").notNull().references(() => orgs.id, { onDelete: "cascade" }),
    checkpointId: uuid("checkpoint_id")
      .notNull()
      .references(() => checkpoints.id, { onDelete: "cascade" }),
    path: text("path").notNull(),
    declaredSize: bigint("declared_size", { mode: "number" }),
    status: text("status", { enum: ["active", "done"] }).notNull().default("active"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("uploads_checkpoint_idx").on(t.checkpointId), index("uploads_org_idx").on(t.orgId, t.status)],
);

/** Per-tensor SHA-256s of one blob, computed once in the background for tensor diffs. */
export const blobTensorDigests = pgTable("blob_tensor_digests", {
  sha256: text("sha256").primaryKey(),
  status: text("status", { enum: ["computing", "ready", "failed"] }).notNull(),
  /** `{name: {dtype, shape, parameters, sha256}}`; null while computing or when the format has no tensors. */
  tensors: jsonb("tensors").$type<Record<string, unknown>>(),
  problem: text("problem"),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Who accepted a public checkpoint's license, and when (once per user and checkpoint). */
export const licenseAcceptances = pgTable(
  "license_acceptances",
  {
    checkpointId: uuid("checkpoint_id")
      .notNull()
      .references(() => checkpoints.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    license: text("license"),
    acceptedAt: timestamp("accepted_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.checkpointId, t.userId] })],
);

/** Every blob the store holds; rows nobody references are collected after a grace period. */
export const blobs = pgTable("blobs", {
  sha256: text("sha256").primaryKey(),
  size: bigint("size", { mode: "number" }).notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

export type Checkpoint = typeof checkpoints.$inferSelect;
export type NewCheckpoint = typeof checkpoints.$inferInsert;
export type CheckpointFile = typeof checkpointFiles.$inferSelect;
export type CheckpointLog = typeof checkpointLogs.$inferSelect;
export type Upload = typeof uploads.$inferSelect;
