import "server-only";
import PgBoss from "pg-boss";
import type { PGlite } from "@electric-sql/pglite";
import { getDatabase, type Database } from "@/lib/db/client";

/**
 * pg-boss on whichever database Cairn uses. On PGlite it runs through `db.executeSql`:
 * parameterless (possibly multi-statement) SQL goes to `exec`, the rest to `query`.
 */
function pgliteExecutor(pglite: PGlite): PgBoss.Db {
  return {
    async executeSql(text: string, values?: unknown[]) {
      if (!values || values.length === 0) {
        const results = await pglite.exec(text);
        const last = results.at(-1);
        return { rows: last?.rows ?? [], rowCount: last?.affectedRows ?? 0 };
      }
      const result = await pglite.query(text, values);
      return { rows: result.rows, rowCount: result.affectedRows ?? 0 };
    },
  };
}

export function createBoss(database: Database): PgBoss {
  const common = { schema: "pgboss", supervise: true, schedule: false, migrate: true } as const;
  if (database.kind === "pglite" && database.pglite) return new PgBoss({ ...common, db: pgliteExecutor(database.pglite) });
  if (!database.pool) throw new Error("Postgres database without a pool");
  const pool = database.pool;
  return new PgBoss({ ...common, db: { executeSql: (text, values) => pool.query(text, values) } });
}

const globalForBoss = globalThis as unknown as { cairnBoss?: Promise<PgBoss>; cairnWorkers?: Map<string, string[]> };

function localWorkers(): Map<string, string[]> {
  globalForBoss.cairnWorkers ??= new Map();
  return globalForBoss.cairnWorkers;
}

/**
 * Starts `count` workers of `queue` in this process. They poll (other processes' tasks reach them
 * that way), and `sendTask` from this process wakes them at once: a task starts now, not at the
 * next poll (up to half a second later).
 */
export async function workQueue<T>(
  queue: string,
  count: number,
  options: PgBoss.WorkOptions & { includeMetadata: true },
  handler: PgBoss.WorkWithMetadataHandler<T>,
): Promise<void> {
  const boss = await getBoss();
  await boss.createQueue(queue);
  const ids = localWorkers().get(queue) ?? [];
  for (let i = 0; i < count; i += 1) ids.push(await boss.work<T>(queue, options, handler));
  localWorkers().set(queue, ids);
}

/** Queues a task and wakes this process's workers of its queue. */
export async function sendTask(queue: string, data: object, options: PgBoss.SendOptions): Promise<void> {
  const boss = await getBoss();
  await boss.createQueue(queue);
  await boss.send(queue, data, options);
  for (const id of localWorkers().get(queue) ?? []) boss.notifyWorker(id);
}

/** The process-wide, started pg-boss instance. */
export function getBoss(): Promise<PgBoss> {
  if (!globalForBoss.cairnBoss) {
    globalForBoss.cairnBoss = (async () => {
      const boss = createBoss(await getDatabase());
      boss.on("error", (error) => console.error("queue error", error));
      await boss.start();
      return boss;
    })().catch((error) => {
      globalForBoss.cairnBoss = undefined;
      throw error;
    });
  }
  return globalForBoss.cairnBoss;
}

/** Stops the queue (tests, worker shutdown): in-flight handlers are given time to finish. */
export async function stopBoss(): Promise<void> {
  const pending = globalForBoss.cairnBoss;
  globalForBoss.cairnBoss = undefined;
  globalForBoss.cairnWorkers = undefined;
  if (pending) await (await pending).stop({ graceful: true, wait: true, timeout: 10_000 });
}
