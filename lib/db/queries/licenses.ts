import "server-only";
import { and, eq } from "drizzle-orm";
import type { Db } from "@/lib/db/client";
import { licenseAcceptances } from "@/lib/db/schema";

/** When this user accepted this checkpoint's license, or null. */
export async function findLicenseAcceptance(db: Db, { checkpointId, userId }: { checkpointId: string; userId: string }) {
  const [row] = await db
    .select()
    .from(licenseAcceptances)
    .where(and(eq(licenseAcceptances.checkpointId, checkpointId), eq(licenseAcceptances.userId, userId)))
    .limit(1);
  return row ?? null;
}

/** Records an acceptance once; accepting again keeps the first record. */
export async function recordLicenseAcceptance(db: Db, values: { checkpointId: string; userId: string; license: string }) {
  await db.insert(licenseAcceptances).values(values).onConflictDoNothing();
  return findLicenseAcceptance(db, values);
}
