import { bigint, index, integer, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { exportStatuses } from "@/lib/api/schemas/exports";
import { orgs, users } from "./accounts";
import { checkpoints } from "./checkpoints";

export type { ExportStatus } from "@/lib/api/schemas/exports";

/** One copy of a checkpoint's files to a bucket of a storage connection. */
export const checkpointExports = pgTable(
  "checkpoint_exports",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: uuid("org_id").notNull().references(() => orgs.id, { onDelete: "cascade" }),
    checkpointId: uuid("checkpoint_id")
      .notNull()
      .references(() => checkpoints.id, { onDelete: "cascade" }),
    /** The connection's name at the time of the export (connections are soft-deleted, names reused). */
    connection: text("connection").notNull(),
    connectionId: uuid("connection_id").notNull(),
    provider: text("provider").notNull(),
    destinationPath: text("destination_path").notNull(),
    status: text("status", { enum: exportStatuses }).notNull().default("queued"),
    message: text("message"),
    bytesDone: bigint("bytes_done", { mode: "number" }).notNull().default(0),
    bytesTotal: bigint("bytes_total", { mode: "number" }).notNull().default(0),
    filesDone: integer("files_done").notNull().default(0),
    filesTotal: integer("files_total").notNull().default(0),
    creatorUserId: uuid("creator_user_id").references(() => users.id, { onDelete: "set null" }),
    /** Set by the worker running the export; its progress writes double as the heartbeat. */
    leaseToken: uuid("lease_token"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [index("checkpoint_exports_checkpoint_idx").on(t.checkpointId, t.createdAt), index("checkpoint_exports_status_idx").on(t.status, t.updatedAt)],
);

export type CheckpointExport = typeof checkpointExports.$inferSelect;
