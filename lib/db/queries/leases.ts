import "server-only";
import { sql } from "drizzle-orm";
import type { Db } from "../client";
import { leases } from "../schema";

/**
 * Takes or renews the lease `name` for `holder` for `seconds`, when it is free, lapsed or already
 * ours — one statement, so two processes asking at once get one answer each. True when we hold it.
 */
export async function takeLease(db: Db, { name, holder, seconds }: { name: string; holder: string; seconds: number }): Promise<boolean> {
  const expiresAt = sql`now() + make_interval(secs => ${seconds})`;
  const rows = await db
    .insert(leases)
    .values({ name, holder, expiresAt: sql`${expiresAt}` })
    .onConflictDoUpdate({
      target: leases.name,
      set: { holder, expiresAt: sql`${expiresAt}` },
      setWhere: sql`${leases.expiresAt} < now() or ${leases.holder} = ${holder}`,
    })
    .returning({ holder: leases.holder });
  return rows[0]?.holder === holder;
}

/** Gives the lease up at once (a process shutting down), so another takes over without waiting. */
export async function dropLease(db: Db, { name, holder }: { name: string; holder: string }): Promise<void> {
  await db.delete(leases).where(sql`${leases.name} = ${name} and ${leases.holder} = ${holder}`);
}
