import "server-only";
import path from "node:path";
import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import pg from "pg";
import * as schema from "./schema";
import { config } from "@/lib/config";

export type Schema = typeof schema;
/** Either driver's database, or a transaction on it: every query function takes this. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export type Database = {
  db: Db;
  kind: "pglite" | "postgres";
  /** The raw PGlite instance in embedded mode, for pg-boss and tests. */
  pglite?: PGlite;
  pool?: pg.Pool;
  close(): Promise<void>;
};

const migrationsFolder = path.join(process.cwd(), "drizzle");
const MIGRATION_LOCK = 7_426_310;

/** Opens a database and brings its schema up to date. `url` null means embedded PGlite. */
export async function openDatabase(opts: { url: string | null; pgliteDir?: string }): Promise<Database> {
  if (opts.url) {
    const pool = new pg.Pool({ connectionString: opts.url, max: 10 });
    // An idle connection Postgres closed (restart, failover, a dropped database) is replaced on next
    // use; without a listener its error would end the whole server.
    pool.on("error", (error) => console.error(`database: an idle connection was closed (${error.message}); it is replaced on next use`));
    const client = await pool.connect();
    try {
      // Replicas starting together must not run the same migration twice.
      await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK]);
      await migratePg(drizzlePg(client, { schema }), { migrationsFolder });
    } finally {
      await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK]).catch(() => {});
      client.release();
    }
    const db = drizzlePg(pool, { schema }) as unknown as Db;
    return { db, kind: "postgres", pool, close: () => pool.end() };
  }
  if (opts.pgliteDir) mkdirSync(opts.pgliteDir, { recursive: true });
  // pg_trgm: the trigram index behind name search (migration 0005).
  const pglite = new PGlite({ dataDir: opts.pgliteDir, extensions: { pg_trgm } });
  const db = drizzlePglite(pglite, { schema });
  await migratePglite(db, { migrationsFolder });
  // PGlite has no autovacuum: without fresh statistics the planner sorts whole tables for a page.
  await pglite.exec("analyze");
  return { db: db as unknown as Db, kind: "pglite", pglite, close: () => pglite.close() };
}

const globalForDb = globalThis as unknown as { cairnDatabase?: Promise<Database> };

/** The process-wide database, opened and migrated on first use. */
export function getDatabase(): Promise<Database> {
  if (!globalForDb.cairnDatabase) {
    const cfg = config();
    globalForDb.cairnDatabase = openDatabase({
      url: cfg.databaseUrl,
      pgliteDir: path.join(cfg.dataDir, "db"),
    }).catch((error) => {
      globalForDb.cairnDatabase = undefined;
      throw error;
    });
  }
  return globalForDb.cairnDatabase;
}

export async function getDb(): Promise<Db> {
  return (await getDatabase()).db;
}

/** Lets tests run the app's code against a database they opened themselves. */
export function setDatabase(database: Database | undefined): void {
  globalForDb.cairnDatabase = database ? Promise.resolve(database) : undefined;
}
