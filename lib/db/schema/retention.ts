import { bigserial, index, integer, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { orgs, users } from "./accounts";

export type RetentionMatch = { jobName?: string; checkpointName?: string };
export type KeepBest = { k: number; metric: string; mode: "min" | "max" };

/** An organization's rule for which checkpoints to delete: keep the latest N and the best K of what matches. */
export const retentionPolicies = pgTable(
  "retention_policies",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: uuid("org_id").notNull().references(() => orgs.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    match: jsonb("match").$type<RetentionMatch>().notNull().default({}),
    keepLatest: integer("keep_latest"),
    keepBest: jsonb("keep_best").$type<KeepBest>(),
    creatorUserId: uuid("creator_user_id").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    lastAppliedAt: timestamp("last_applied_at", { withTimezone: true }),
  },
  (t) => [index("retention_policies_org_idx").on(t.orgId, t.createdAt)],
);

/** What was done to whom, by a person or a rule: deletions first, kept forever. */
export const auditEvents = pgTable(
  "audit_events",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    orgId: uuid("org_id").notNull().references(() => orgs.id, { onDelete: "cascade" }),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    /** `{kind: "user", id, name}` or `{kind: "policy", id, name}` or `{kind: "system"}`. */
    actor: jsonb("actor").$type<Record<string, unknown>>().notNull(),
    action: text("action").notNull(),
    target: jsonb("target").$type<{ kind: string; id: string; name: string }>().notNull(),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [index("audit_events_org_idx").on(t.orgId, t.id)],
);

export type RetentionPolicy = typeof retentionPolicies.$inferSelect;
export type AuditEvent = typeof auditEvents.$inferSelect;
