import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync, readFileSync, mkdirSync } from "node:fs";
import { readdir } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as list from "@/app/api/v1/checkpoints/route";
import * as logs from "@/app/api/v1/checkpoints/[ref]/logs/route";
import { getDb } from "@/lib/db/client";
import { unreferencedBlobs } from "@/lib/db/queries/files";
import { IngestReporter } from "@/lib/ingest/progress";
import { runIngest } from "@/lib/ingest/run";
import { storeIngestedFile } from "@/lib/ingest/store-file";
import { startIngestWorkers } from "@/lib/ingest/worker";
import { guardedAgents } from "@/lib/net/agents";
import { sendTask, workQueue } from "@/lib/queue/boss";
import {
  call,
  createCheckpoint,
  getCheckpoint,
  json,
  sha256 as sha,
  testDatabases,
  untilCheckpointStatus,
  useApiSuite,
  type CheckpointAnswer,
  type Envelope,
} from "../helpers/api-suite";

describe.each(testDatabases)("ingest from a remote source on %s", (kind) => {
  const suite = useApiSuite(kind, { users: ["ingest"] });
  const { ingest: user } = suite.users;
  let server: http.Server;
  let base = "";
  const weights = randomBytes(3 * 1024 * 1024);
  const config = Buffer.from('{"model_type":"gpt2"}');
  let archive: Buffer;
  const large = randomBytes(64 * 1024 * 1024 + 5);
  const largeRanges: string[] = [];

  beforeAll(async () => {
    const tree = mkdtempSync(path.join(os.tmpdir(), "cairn-ingest-"));
    mkdirSync(path.join(tree, "ckpt", "tokenizer"), { recursive: true });
    writeFileSync(path.join(tree, "ckpt", "model.bin"), weights);
    writeFileSync(path.join(tree, "ckpt", "tokenizer", "config.json"), config);
    execFileSync("tar", ["-czf", path.join(tree, "ckpt.tar.gz"), "-C", path.join(tree, "ckpt"), "model.bin", "tokenizer"]);
    archive = readFileSync(path.join(tree, "ckpt.tar.gz"));
    server = http.createServer((req, res) => {
      if (req.url === "/ckpt.tar.gz") {
        res.writeHead(200, { "content-length": archive.length, "content-type": "application/gzip" });
        res.end(req.method === "HEAD" ? undefined : archive);
      } else if (req.url === "/large.bin") {
        // Past the web source's ranged threshold: HEAD, single ranges and a strong ETag.
        const match = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? "");
        const [start, end] = match ? [Number(match[1]), Number(match[2])] : [0, large.length - 1];
        if (match) largeRanges.push(`${start}-${end}`);
        res.writeHead(match ? 206 : 200, {
          "content-length": end - start + 1,
          "accept-ranges": "bytes",
          etag: '"large-1"',
          ...(match ? { "content-range": `bytes ${start}-${end}/${large.length}` } : {}),
        });
        res.end(req.method === "HEAD" ? undefined : large.subarray(start, end + 1));
      } else if (req.url === "/weights.bin") {
        res.writeHead(200, { "content-length": weights.length });
        res.end(req.method === "HEAD" ? undefined : weights);
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => {
    delete process.env.CAIRN_ALLOW_PRIVATE_SOURCES;
    server.close();
  });

  const create = async (name: string, sourceUri: string) => {
    const response = await createCheckpoint(user, name, { sourceType: "web", sourceUri });
    expect(response.status).toBe(201);
    return (await json<CheckpointAnswer>(response)).metadata.id;
  };
  const get = (ref: string) => getCheckpoint(user, ref);

  it("refuses a path that breaks the type's rule with 422 naming the rule", async () => {
    const response = await call(list.POST, "/x", { method: "POST", token: user.token, body: { name: "bad", sourceType: "web", sourceUri: "gopher://x" } });
    expect(response.status).toBe(422);
    const body = await json<Envelope>(response);
    expect(body.error.details?.fields?.sourceUri).toBe("A web path begins with http://, https://, ftp:// or ftps://.");
  });

  it("fails at once, saying which variable to set, when the source is on loopback", async () => {
    delete process.env.CAIRN_ALLOW_PRIVATE_SOURCES;
    guardedAgents().http.destroy();
    const id = await create("blocked", `${base}/weights.bin`);
    await runIngest(await getDb(), id);
    const row = await get(id);
    expect(row.status.status).toBe("failed");
    expect(row.status.message).toContain("CAIRN_ALLOW_PRIVATE_SOURCES");
  });

  it("downloads and extracts an archive, entry by entry, into a ready checkpoint with a log", async () => {
    process.env.CAIRN_ALLOW_PRIVATE_SOURCES = "127.0.0.1/32";
    const id = await create("from-archive", `${base}/ckpt.tar.gz`);
    await runIngest(await getDb(), id);
    const row = await get(id);
    expect(row.status.status).toBe("ready");
    expect(row.status.files).toEqual([
      { path: "model.bin", size: weights.length, sha256: sha(weights) },
      { path: "tokenizer/config.json", size: config.length, sha256: sha(config) },
    ]);
    const log = await json<{ items: { message: string }[] }>(await call(logs.GET, "/x", { token: user.token, params: { ref: id } }));
    expect(log.items.map((i) => i.message).join("\n")).toMatch(/Extracting ckpt\.tar\.gz[\s\S]*Extracted 2 files[\s\S]*Ready: 2 files/);
  });

  it("downloads a large file as parallel ranges written at their offsets, into a ready checkpoint", async () => {
    process.env.CAIRN_ALLOW_PRIVATE_SOURCES = "127.0.0.1/32";
    const id = await create("large", `${base}/large.bin`);
    await runIngest(await getDb(), id);
    const row = await get(id);
    expect(row.status.status).toBe("ready");
    expect(row.status.files).toEqual([{ path: "large.bin", size: large.length, sha256: sha(large) }]);
    // 16 MiB ranges: four, and the five bytes past them.
    expect(largeRanges).toHaveLength(5);
    expect(largeRanges).toContain(`${64 * 1024 * 1024}-${large.length - 1}`);
    const blobs = await readdir(path.join(suite.dataDir, "blobs", "tmp")).catch(() => []);
    expect(blobs).toEqual([]);
  });

  it("runs through the durable queue: a created checkpoint becomes ready on its own", async () => {
    process.env.CAIRN_ALLOW_PRIVATE_SOURCES = "127.0.0.1/32";
    await startIngestWorkers({ concurrency: 1 });
    const id = await create("queued", `${base}/weights.bin`);
    const row = await untilCheckpointStatus(user, id, ["ready", "failed"], 20_000);
    expect(row.status.status).toBe("ready");
    expect(row.status.files).toEqual([{ path: "weights.bin", size: weights.length, sha256: sha(weights) }]);
  });

  it("a task sent from this process wakes its idle workers instead of waiting for their next poll", async () => {
    const queue = `wake-test-${kind}`;
    const seen: string[] = [];
    // Polling once a minute: only the wake-up can start the task within the test's time.
    await workQueue<{ n: string }>(queue, 1, { batchSize: 1, pollingIntervalSeconds: 60, includeMetadata: true }, async ([job]) => {
      seen.push(job.data.n);
    });
    const until = async (count: number) => {
      for (let i = 0; i < 100 && seen.length < count; i += 1) await new Promise((r) => setTimeout(r, 100));
    };
    await sendTask(queue, { n: "first" }, {});
    await until(1);
    // The worker has run a task, found nothing more and gone to sleep for a minute.
    await new Promise((r) => setTimeout(r, 500));
    await sendTask(queue, { n: "second" }, {});
    await until(2);
    expect(seen).toEqual(["first", "second"]);
  });

  it("refuses a file whose SHA-256 is not the one its source vouches for, and leaves its blob to collection", async () => {
    const id = (await json<CheckpointAnswer>(await createCheckpoint(user, "vouched"))).metadata.id;
    const db = await getDb();
    const reporter = new IngestReporter(db, { checkpointId: id, token: "test" });
    const ingest = { checkpointId: id, budget: { maxBytes: 1 << 30, error: () => new Error("over") } as never, reporter, usedBytes: () => 0, addUsed: () => {} };
    const body = randomBytes(1000);
    const stored = storeIngestedFile(db, ingest, { path: "w.bin", open: async () => Readable.from([body]), expectedSha256: "0".repeat(64) });
    await expect(stored).rejects.toThrow(`w.bin arrived corrupted: its SHA-256 is ${sha(body)}, the source says ${"0".repeat(64)}.`);
    expect((await get(id)).status.fileCount).toBe(0);
    const collectable = await unreferencedBlobs(db, { olderThan: new Date(Date.now() + 60_000), limit: 1000 });
    expect(collectable.map((b) => b.sha256)).toContain(sha(body));
  });

  it("a 404 fails permanently with a sentence, and never leaves files behind", async () => {
    process.env.CAIRN_ALLOW_PRIVATE_SOURCES = "127.0.0.1/32";
    const id = await create("missing", `${base}/nope.bin`);
    // The queue's workers (if a test above started them) take the task at once and may be the ones that end it.
    await runIngest(await getDb(), id);
    const row = await untilCheckpointStatus(user, id, ["failed", "ready"], 10_000);
    expect(row.status.status).toBe("failed");
    expect(row.status.message).toMatch(/404/);
    expect(row.status.fileCount).toBe(0);
  });
});
