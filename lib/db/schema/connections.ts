import { sql } from "drizzle-orm";
import { index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { orgs, users } from "./accounts";

/** Named credentials for a storage provider; `secret` is AES-256-GCM ciphertext, never returned. */
export const connections = pgTable(
  "connections",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: uuid("org_id").notNull().references(() => orgs.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    provider: text("provider").notNull(),
    config: jsonb("config").$type<Record<string, unknown>>().notNull().default({}),
    secretCiphertext: text("secret_ciphertext").notNull(),
    secretFields: jsonb("secret_fields").$type<string[]>().notNull().default([]),
    creatorUserId: uuid("creator_user_id").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("connections_org_name_live_idx").on(t.orgId, t.name).where(sql`${t.deletedAt} is null`),
    index("connections_org_idx").on(t.orgId, t.createdAt),
  ],
);

export type Connection = typeof connections.$inferSelect;
