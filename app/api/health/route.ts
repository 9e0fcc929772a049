import { sql } from "drizzle-orm";
import { withPublic } from "@/lib/api/with-auth";
import { getDatabase } from "@/lib/db/client";
import { config } from "@/lib/config";
import type { HealthResponse } from "@/lib/api/schemas/health";

export const dynamic = "force-dynamic";

export const GET = withPublic(async () => {
  const database = await getDatabase();
  await database.db.execute(sql`select 1`);
  return Response.json({ ok: true, db: database.kind, storage: config().storage } satisfies HealthResponse);
});
