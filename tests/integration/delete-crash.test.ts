import { createHash, randomBytes } from "node:crypto";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditList } from "@/lib/api/schemas/audit";
import type { CheckpointResponse } from "@/lib/api/schemas/checkpoints";
import type { StorageResponse } from "@/lib/api/schemas/storage";
import { collectBlobs } from "@/lib/checkpoints/blob-gc";
import { openDatabase, setDatabase, type Database } from "@/lib/db/client";
import { blobs } from "@/lib/db/schema";
import { getBlobStore } from "@/lib/storage";
import { useTempDataDir } from "../helpers/api";
import { freePort, startCairnProcess, type CairnProcess } from "../helpers/cairn-process";
import { openTestDatabase, testDatabases, type TestDatabase } from "../helpers/db";
import { eventually } from "../helpers/jobs";
import { RemoteCairn } from "../helpers/remote";

const sha = (data: Buffer) => createHash("sha256").update(data).digest("hex");

async function readBlob(sha256: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await getBlobStore().get(sha256)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * The two-phase delete against a real Cairn process: killed with SIGKILL right after phase one
 * (rows gone, audit written) and before phase two (the blobs), then started again. Nothing a live
 * checkpoint references is lost, the deletion is in the log once, and the next collection frees
 * the orphaned blob — once.
 */
describe.each(testDatabases)("a delete killed between its phases on %s", (kind) => {
  let data: ReturnType<typeof useTempDataDir>;
  let cairn: CairnProcess | undefined;
  let postgres: TestDatabase | undefined;
  let local: Database | undefined;

  beforeAll(() => {
    data = useTempDataDir();
  });
  afterAll(async () => {
    await cairn?.kill("SIGKILL");
    await local?.close();
    setDatabase(undefined);
    await postgres?.close();
    data.cleanup();
  });

  it("keeps what is referenced and frees the orphan exactly once on the next collection", async () => {
    // The process's database: the test's own Postgres database, or PGlite in the data directory.
    if (kind === "postgres") postgres = await openTestDatabase("postgres");
    const env = { CAIRN_DATA_DIR: data.dir, CAIRN_WORKERS: "0", DATABASE_URL: postgres?.url ?? "" };
    const port = await freePort();
    cairn = await startCairnProcess(port, { ...env, CAIRN_PAUSE_AT: "delete-between-phases" });
    const user = await RemoteCairn.signUp(cairn.url, "crash");
    const shared = randomBytes(50_000);
    const onlyDoomed = randomBytes(30_000);
    const onlyKept = randomBytes(20_000);
    const doomed = await user.readyCheckpoint("doomed", { "shared.bin": shared, "own.bin": onlyDoomed });
    await user.readyCheckpoint("kept", { "shared.bin": shared, "own.bin": onlyKept });

    // Phase one commits, then the process stops at the pause point and is killed there.
    const deleting = user.request("DELETE", `/checkpoints/${doomed}`).catch((error: unknown) => error);
    await eventually("the delete to pause between its phases", async () => cairn?.output().includes("paused at delete-between-phases"), 30_000);
    await cairn.kill("SIGKILL");
    expect(await deleting).toBeInstanceOf(Error);

    cairn = await startCairnProcess(port, env);
    user.url = cairn.url;
    expect((await user.request("GET", "/checkpoints/doomed")).status).toBe(404);
    // Deleting again finds nothing: the rows went in one transaction, and the log has one entry.
    expect((await user.request("DELETE", `/checkpoints/${doomed}`)).status).toBe(404);
    const audit = await user.json<AuditList>("GET", "/audit");
    expect(audit.items.map((e) => [e.action, e.target.name, e.details.bytesFreed])).toEqual([["checkpoint.delete", "doomed", 30_000]]);
    const kept = await user.json<CheckpointResponse>("GET", "/checkpoints/kept");
    expect(kept.status.files?.map((f) => [f.path, f.sha256])).toEqual([
      ["own.bin", sha(onlyKept)],
      ["shared.bin", sha(shared)],
    ]);
    expect(await user.json<StorageResponse>("GET", "/storage")).toMatchObject({ usedBytes: 70_000, logicalBytes: 70_000 });
    const download = await user.request("GET", "/checkpoints/kept/files/shared.bin");
    expect(sha(Buffer.from(await download.arrayBuffer()))).toBe(sha(shared));
    await cairn.kill("SIGTERM");
    cairn = undefined;

    // The orphan: its row and bytes are still there, and no file references it.
    const database = postgres ?? (local = await openDatabase({ url: null, pgliteDir: path.join(data.dir, "db") }));
    setDatabase(database);
    const store = getBlobStore();
    expect(await store.has(sha(onlyDoomed))).toBe(true);
    expect((await database.db.select().from(blobs)).map((b) => b.sha256).sort()).toEqual([sha(shared), sha(onlyDoomed), sha(onlyKept)].sort());

    // The periodic collection takes blobs past their grace period; an hour on, this one is.
    await database.db.update(blobs).set({ createdAt: sql`now() - interval '2 hours'` });
    expect(await collectBlobs(database.db, store)).toBe(1);
    expect(await collectBlobs(database.db, store)).toBe(0);
    expect(await store.has(sha(onlyDoomed))).toBe(false);
    expect((await database.db.select().from(blobs)).map((b) => b.sha256).sort()).toEqual([sha(shared), sha(onlyKept)].sort());
    expect(sha(await readBlob(sha(shared)))).toBe(sha(shared));
    expect(sha(await readBlob(sha(onlyKept)))).toBe(sha(onlyKept));
  }, 180_000);
});
