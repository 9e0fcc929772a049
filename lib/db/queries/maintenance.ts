import "server-only";
import { sql } from "drizzle-orm";
import type { Db } from "../client";

/** Refreshes planner statistics; PGlite has no autovacuum to do it. */
export async function analyzeTables(db: Db): Promise<void> {
  await db.execute(sql`analyze`);
}
