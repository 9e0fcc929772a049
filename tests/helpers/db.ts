import { randomBytes } from "node:crypto";
import pg from "pg";
import { openDatabase, setDatabase, type Database } from "@/lib/db/client";
import { stopBoss } from "@/lib/queue/boss";

/** `url`: the Postgres database of its own, for processes a test starts beside it (null for PGlite). */
export type TestDatabase = Database & { label: string; url: string | null };

/** The databases every integration suite runs against: PGlite always, Postgres when configured. */
export const testDatabases: string[] = ["pglite", ...(process.env.TEST_DATABASE_URL ? ["postgres"] : [])];

/**
 * Opens a fresh, migrated database of the given kind and installs it as the app's database.
 * Postgres gets a database of its own per call, dropped again by `close`. `close` stops the queue
 * first: a commit queues background work (model facts), which starts it on this database.
 */
export async function openTestDatabase(kind: string): Promise<TestDatabase> {
  if (kind === "pglite") {
    const database = await openDatabase({ url: null });
    setDatabase(database);
    return {
      ...database,
      label: kind,
      url: null,
      async close() {
        await stopBoss();
        await database.close();
      },
    };
  }
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) throw new Error("TEST_DATABASE_URL is not set");
  const name = `cairn_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ url: url.toString() });
  setDatabase(database);
  return {
    ...database,
    label: kind,
    url: url.toString(),
    async close() {
      await stopBoss();
      await database.close();
      const dropper = new pg.Client({ connectionString: adminUrl });
      await dropper.connect();
      await dropper.query(`drop database if exists ${name} with (force)`);
      await dropper.end();
    },
  };
}
