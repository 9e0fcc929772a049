import "server-only";
import { and, eq, lt, sql } from "drizzle-orm";
import type { Db } from "../client";
import { rateLimits } from "../schema";

export type Hit = { count: number; windowStart: Date; retryAfterSeconds: number };

/**
 * Counts one hit on `key` in its current fixed window of `windowSeconds`, on the database's clock so
 * that replicas agree, in one statement (two replicas counting at once both count). Returns the
 * count so far in the window and the seconds until the window ends.
 */
export async function hitRateLimit(db: Db, { key, windowSeconds }: { key: string; windowSeconds: number }): Promise<Hit> {
  const windowStart = sql`to_timestamp(floor(extract(epoch from now()) / ${windowSeconds}::int) * ${windowSeconds}::int)`;
  const [row] = await db
    .insert(rateLimits)
    .values({ key, windowStart: sql`${windowStart}`, count: 1 })
    .onConflictDoUpdate({
      target: rateLimits.key,
      set: {
        count: sql`case when ${rateLimits.windowStart} = excluded.window_start then ${rateLimits.count} + 1 else 1 end`,
        windowStart: sql`excluded.window_start`,
      },
    })
    .returning({
      count: rateLimits.count,
      windowStart: rateLimits.windowStart,
      retryAfterSeconds: sql<number>`greatest(1, ceil(extract(epoch from (${rateLimits.windowStart} + make_interval(secs => ${windowSeconds}::int) - now()))))::int`,
    });
  if (!row) throw new Error(`rate limit ${key}: the counter was not written`);
  return { count: row.count, windowStart: new Date(row.windowStart), retryAfterSeconds: Number(row.retryAfterSeconds) };
}

/** Takes back one hit of the window `windowStart` (a sign-in that succeeded is not a failure). */
export async function refundRateLimit(db: Db, { key, windowStart }: { key: string; windowStart: Date }): Promise<void> {
  await db
    .update(rateLimits)
    .set({ count: sql`greatest(${rateLimits.count} - 1, 0)` })
    .where(and(eq(rateLimits.key, key), eq(rateLimits.windowStart, windowStart)));
}

/** Drops counters whose window ended long ago. */
export async function pruneRateLimits(db: Db, { before }: { before: Date }): Promise<void> {
  await db.delete(rateLimits).where(lt(rateLimits.windowStart, before));
}
