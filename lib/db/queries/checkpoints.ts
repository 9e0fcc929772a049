import "server-only";
import { and, asc, desc, eq, ilike, isNull, sql, type SQL } from "drizzle-orm";
import type { CheckpointSort } from "@/lib/api/schemas/checkpoints";
import type { Db } from "../client";
import {
  checkpointLogs,
  checkpoints,
  type Checkpoint,
  type CheckpointStatus,
  type NewCheckpoint,
  type SourceType,
} from "../schema";

const live = (orgId: string) => and(eq(checkpoints.orgId, orgId), isNull(checkpoints.deletedAt));

export async function insertCheckpoint(db: Db, values: NewCheckpoint & { orgId: string }) {
  const now = new Date();
  const [row] = await db
    .insert(checkpoints)
    .values({ createdAt: now, updatedAt: now, ...values })
    .returning();
  return row;
}

/** A live checkpoint of the org by id or by name; another org's checkpoint is simply absent. */
export async function findCheckpoint(db: Db, { orgId, id, name }: { orgId: string; id?: string; name?: string }) {
  const match = id ? eq(checkpoints.id, id) : eq(checkpoints.name, name ?? "");
  const [row] = await db.select().from(checkpoints).where(and(live(orgId), match));
  return row ?? null;
}

/** A live public checkpoint of any org by id, or by a name only one public checkpoint has. */
export async function findPublicCheckpoint(db: Db, { id, name }: { id?: string; name?: string }) {
  const match = id ? eq(checkpoints.id, id) : eq(checkpoints.name, name ?? "");
  const rows = await db
    .select()
    .from(checkpoints)
    .where(and(eq(checkpoints.visibility, "public"), isNull(checkpoints.deletedAt), match))
    .limit(2);
  return rows.length === 1 ? (rows[0] ?? null) : null;
}

/** Locks the row for the rest of the transaction, so state changes are serialized. */
export async function lockCheckpoint(db: Db, { orgId, id }: { orgId: string; id: string }) {
  const [row] = await db.select().from(checkpoints).where(and(live(orgId), eq(checkpoints.id, id))).for("update");
  return row ?? null;
}

const sortColumns = {
  name: checkpoints.name,
  size: checkpoints.size,
  createdAt: checkpoints.createdAt,
} as const;

type Cursor = [string | number, string];

export function encodeCursor(row: Checkpoint, sort: CheckpointSort): string {
  const key = sort.replace("-", "") as keyof typeof sortColumns;
  const value = key === "createdAt" ? row.createdAt.toISOString() : row[key];
  return Buffer.from(JSON.stringify([value, row.id])).toString("base64url");
}

export function decodeCursor(cursor: string): Cursor | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[1] === "string") return parsed as Cursor;
  } catch {}
  return null;
}

export type CheckpointFilter = {
  orgId: string;
  q?: string;
  status?: CheckpointStatus;
  sourceType?: SourceType;
  visibility?: "private" | "public" | "all";
  /** Model facts: the architecture (case-insensitive) and weight format read from the headers. */
  architecture?: string;
  format?: string;
  /** Only checkpoints captured from this job's output. */
  producedByJobId?: string;
};

function filterConditions(filter: CheckpointFilter): SQL[] {
  // `visibility=public` is the public catalog: every organization's public checkpoints.
  const scope = filter.visibility === "public" ? eq(checkpoints.visibility, "public") : eq(checkpoints.orgId, filter.orgId);
  const conditions: SQL[] = [scope, isNull(checkpoints.deletedAt)];
  if (filter.q) conditions.push(ilike(checkpoints.name, `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`));
  if (filter.status) conditions.push(eq(checkpoints.status, filter.status));
  if (filter.sourceType) conditions.push(eq(checkpoints.sourceType, filter.sourceType));
  if (filter.visibility && filter.visibility !== "all") conditions.push(eq(checkpoints.visibility, filter.visibility));
  if (filter.architecture) conditions.push(sql`lower(${checkpoints.model}->>'architecture') = lower(${filter.architecture})`);
  if (filter.format) conditions.push(sql`${checkpoints.model}->>'format' = ${filter.format}`);
  if (filter.producedByJobId) conditions.push(eq(checkpoints.producedByJobId, filter.producedByJobId));
  return conditions;
}

/** One page of an org's checkpoints, keyset-paginated on (sort column, id) so deep pages stay fast. */
export async function listCheckpoints(
  db: Db,
  filter: CheckpointFilter & { sort: CheckpointSort; limit: number; cursor?: Cursor | null },
) {
  const descending = filter.sort.startsWith("-");
  const column = sortColumns[filter.sort.replace("-", "") as keyof typeof sortColumns];
  const conditions = filterConditions(filter);
  const where = and(...conditions);
  if (filter.cursor) {
    const [value, id] = filter.cursor;
    const typed = column === checkpoints.createdAt ? sql`${value}::timestamptz` : sql`${value}`;
    conditions.push(
      descending ? sql`(${column}, ${checkpoints.id}) < (${typed}, ${id}::uuid)` : sql`(${column}, ${checkpoints.id}) > (${typed}, ${id}::uuid)`,
    );
  }
  const order = descending ? [desc(column), desc(checkpoints.id)] : [asc(column), asc(checkpoints.id)];
  const [rows, [{ total }]] = await Promise.all([
    db.select().from(checkpoints).where(and(...conditions)).orderBy(...order).limit(filter.limit + 1),
    db.select({ total: sql<number>`count(*)::int` }).from(checkpoints).where(where),
  ]);
  return { rows: rows.slice(0, filter.limit), hasMore: rows.length > filter.limit, total };
}

export async function updateCheckpoint(db: Db, { orgId, id }: { orgId: string; id: string }, values: Partial<NewCheckpoint>) {
  const [row] = await db
    .update(checkpoints)
    .set({ ...values, updatedAt: new Date() })
    .where(and(live(orgId), eq(checkpoints.id, id)))
    .returning();
  return row ?? null;
}

export async function insertLog(
  db: Db,
  { checkpointId, level = "info", message }: { checkpointId: string; level?: "info" | "warn" | "error"; message: string },
) {
  await db.insert(checkpointLogs).values({ checkpointId, level, message });
}

export async function listLogs(db: Db, { orgId, checkpointId }: { orgId: string; checkpointId: string }) {
  return db
    .select({ at: checkpointLogs.at, level: checkpointLogs.level, message: checkpointLogs.message })
    .from(checkpointLogs)
    .innerJoin(checkpoints, eq(checkpoints.id, checkpointLogs.checkpointId))
    .where(and(eq(checkpoints.orgId, orgId), eq(checkpointLogs.checkpointId, checkpointId)))
    .orderBy(asc(checkpointLogs.id));
}
