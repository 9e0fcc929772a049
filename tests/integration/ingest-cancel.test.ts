import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as one from "@/app/api/v1/checkpoints/[ref]/route";
import * as cancel from "@/app/api/v1/checkpoints/[ref]/cancel/route";
import * as logs from "@/app/api/v1/checkpoints/[ref]/logs/route";
import { getDb } from "@/lib/db/client";
import { insertLog } from "@/lib/db/queries/checkpoints";
import { cancelIngestRow } from "@/lib/db/queries/ingest";
import { blobs, checkpointFiles, checkpointLogs, checkpoints } from "@/lib/db/schema";
import { runIngest } from "@/lib/ingest/run";
import { ALLOW_ENV } from "@/lib/net/guard";
import { guardedAgents } from "@/lib/net/agents";
import { call, createCheckpoint, expectError, getCheckpoint, json, sha256 as sha, testDatabases, useApiSuite, type CheckpointAnswer } from "../helpers/api-suite";

const MiB = 1024 * 1024;

/**
 * A web host on loopback that sends its files slowly (128 KiB every 50 ms, ~2.5 MiB/s), and says when
 * each download's connection went away: the measure of "the transfer stopped".
 */
async function slowHost(files: Record<string, Buffer>) {
  const closed: { url: string; at: number; sent: number; total: number }[] = [];
  const server = http.createServer((req, res) => {
    const body = files[req.url ?? ""];
    if (!body) return res.writeHead(404).end();
    res.writeHead(200, { "content-length": body.length, "content-type": "application/octet-stream" });
    if (req.method === "HEAD") return res.end();
    let sent = 0;
    const timer = setInterval(() => {
      const chunk = body.subarray(sent, sent + 128 * 1024);
      sent += chunk.length;
      res.write(chunk);
      if (sent >= body.length) {
        clearInterval(timer);
        res.end();
      }
    }, 50);
    res.on("close", () => {
      clearInterval(timer);
      closed.push({ url: req.url ?? "", at: Date.now(), sent, total: body.length });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, closed, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe.each(testDatabases)("cancelling an ingest on %s", (kind) => {
  const suite = useApiSuite(kind, { users: ["cancel"], env: { [ALLOW_ENV]: "127.0.0.1/32" } });
  const { cancel: user } = suite.users;
  let host: Awaited<ReturnType<typeof slowHost>>;
  const small = randomBytes(1 * MiB);
  const large = randomBytes(48 * MiB);
  let archive: Buffer;

  beforeAll(async () => {
    // A tar whose first entry arrives (and is stored) well before the second finishes.
    const tree = mkdtempSync(path.join(os.tmpdir(), "cairn-cancel-"));
    writeFileSync(path.join(tree, "a-small.bin"), small);
    writeFileSync(path.join(tree, "b-large.bin"), large);
    execFileSync("tar", ["-cf", path.join(tree, "model.tar"), "-C", tree, "a-small.bin", "b-large.bin"]);
    archive = readFileSync(path.join(tree, "model.tar"));
    rmSync(tree, { recursive: true, force: true });
    host = await slowHost({ "/model.tar": archive, "/weights.bin": large });
    guardedAgents().http.destroy();
  });
  afterAll(() => host.close());

  const create = async (name: string, uri: string) => {
    const response = await createCheckpoint(user, name, { sourceType: "web", sourceUri: `${host.url}${uri}` });
    expect(response.status).toBe(201);
    return (await json<CheckpointAnswer>(response)).metadata.id;
  };
  const get = (ref: string) => getCheckpoint(user, ref);

  /** Starts the ingest and resolves once its transfer is under way (`after` bytes in), with the running ingest. */
  async function downloading(id: string, after: number): Promise<{ running: Promise<void> }> {
    const running = runIngest(await getDb(), id);
    for (let i = 0; i < 600; i += 1) {
      const [row] = await suite.database.db.select().from(checkpoints).where(eq(checkpoints.id, id));
      // Wrapped: an async function returning the promise itself would wait for it.
      if (row && row.bytesDone >= after) return { running };
      if (!row || row.status === "failed" || row.status === "ready") throw new Error(`ingest ended early: ${JSON.stringify(row)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error("the ingest never got going");
  }

  /** When the host saw the download of `uri` go away, waiting up to 5 s for it. */
  async function closedAt(uri: string, before: number): Promise<number> {
    for (let i = 0; i < 100; i += 1) {
      const seen = host.closed.find((c) => c.url === uri && c.at >= before);
      if (seen) {
        expect(seen.sent, "the transfer ended before the whole file was sent").toBeLessThan(seen.total);
        return seen.at;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`the download of ${uri} never stopped`);
  }

  const blobNames = () => {
    const walk = (dir: string): string[] => {
      try {
        return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? (e.name === "tmp" ? [] : walk(path.join(dir, e.name))) : [e.name]));
      } catch {
        return [];
      }
    };
    return walk(path.join(suite.dataDir, "blobs"));
  };
  const leftovers = () => ({
    temp: readdirSync(path.join(suite.dataDir, "blobs", "tmp"), { withFileTypes: true }).map((e) => e.name),
    scratch: (() => {
      try {
        return readdirSync(path.join(suite.dataDir, "scratch"));
      } catch {
        return [];
      }
    })(),
  });
  const logText = async (id: string) =>
    (await suite.database.db.select().from(checkpointLogs).where(eq(checkpointLogs.checkpointId, id))).map((l) => l.message).join("\n");

  it("POST …/cancel stops an extracting download within 1 s, keeps nothing and logs who cancelled", async () => {
    const id = await create("cancel-me", "/model.tar");
    const before = blobNames();
    // Past the first entry: its blob is stored, the second one is streaming.
    const { running } = await downloading(id, small.length + 2 * MiB);
    expect(blobNames().length).toBe(before.length + 1);
    const t0 = Date.now();
    const response = await call(cancel.POST, "/x", { method: "POST", token: user.token, params: { ref: id } });
    expect(response.status).toBe(200);
    const answered = await json<CheckpointAnswer>(response);
    expect(answered.metadata.id).toBe(id);
    expect(answered.status).toMatchObject({ status: "failed", message: `Cancelled by ${user.email}.`, fileCount: 0, size: 0 });
    expect((await closedAt("/model.tar", t0)) - t0).toBeLessThan(1000);
    await running;
    expect(leftovers()).toEqual({ temp: [], scratch: [] });
    expect(blobNames()).toEqual(before);
    expect(blobNames()).not.toContain(sha(small));
    expect(await suite.database.db.select().from(checkpointFiles).where(eq(checkpointFiles.checkpointId, id))).toEqual([]);
    expect((await get(id)).status).toMatchObject({ status: "failed", message: `Cancelled by ${user.email}.`, fileCount: 0 });
    const log = await json<{ items: { message: string; level: string }[] }>(await call(logs.GET, "/x", { token: user.token, params: { ref: id } }));
    expect(log.items.map((i) => i.message)).toContain(`Cancelled by ${user.email}.`);
    expect(log.items.map((i) => i.message).join("\n")).toContain("Stopped: the checkpoint was cancelled. Nothing this attempt downloaded was kept.");
    // Cancelling again is a conflict: nothing is in progress.
    const again = await call(cancel.POST, "/x", { method: "POST", token: user.token, params: { ref: id } });
    expect(again.status).toBe(409);
  });

  it("DELETE stops a download within 1 s, leaves no temp files or blobs, and the log says who deleted it", async () => {
    const id = await create("delete-me", "/weights.bin");
    const before = blobNames();
    const { running } = await downloading(id, 2 * MiB);
    const t0 = Date.now();
    const response = await call(one.DELETE, "/x", { method: "DELETE", token: user.token, params: { ref: id } });
    expect(response.status).toBe(204);
    expect((await closedAt("/weights.bin", t0)) - t0).toBeLessThan(1000);
    await running;
    expect(leftovers()).toEqual({ temp: [], scratch: [] });
    expect(blobNames()).toEqual(before);
    expect(await logText(id)).toContain(`Deleted by ${user.email} while it was downloading; the ingest stops.`);
  });

  it("stops within 1 s when another process cancels it through the database alone", async () => {
    const id = await create("cancel-elsewhere", "/model.tar");
    const before = blobNames();
    const { running } = await downloading(id, small.length + 2 * MiB);
    // As the API on another replica does: the row, and no word to this process.
    const t0 = Date.now();
    const db = await getDb();
    expect(await cancelIngestRow(db, { checkpointId: id, message: "Cancelled by someone@elsewhere.example." })).not.toBeNull();
    await insertLog(db, { checkpointId: id, level: "warn", message: "Cancelled by someone@elsewhere.example." });
    expect((await closedAt("/model.tar", t0)) - t0).toBeLessThan(1000);
    await running;
    expect(leftovers()).toEqual({ temp: [], scratch: [] });
    expect(blobNames()).toEqual(before);
    // The entry it had stored is gone, bytes and row.
    expect((await suite.database.db.select().from(blobs)).map((b) => b.sha256)).not.toContain(sha(small));
    expect((await get(id)).status).toMatchObject({ status: "failed", message: "Cancelled by someone@elsewhere.example.", fileCount: 0, size: 0 });
    expect(await logText(id)).toContain("Stopped: the checkpoint was cancelled.");
  });

  it("refuses to cancel a checkpoint that is not being ingested", async () => {
    const id = (await json<CheckpointAnswer>(await createCheckpoint(user, "uploads"))).metadata.id;
    const response = await call(cancel.POST, "/x", { method: "POST", token: user.token, params: { ref: id } });
    expect((await expectError(response, 409, "conflict")).error.message).toContain("only a queued, downloading or extracting checkpoint can be cancelled");
  });
});
