import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as list from "@/app/api/v1/checkpoints/route";
import * as one from "@/app/api/v1/checkpoints/[ref]/route";
import * as logs from "@/app/api/v1/checkpoints/[ref]/logs/route";
import type { CheckpointResponse } from "@/lib/api/schemas/checkpoints";
import { getDb } from "@/lib/db/client";
import { runIngest } from "@/lib/ingest/run";
import { guardedAgents } from "@/lib/net/agents";
import { getBlobStore } from "@/lib/storage";
import { call, json, useTempDataDir } from "../helpers/api";
import { signUpWithToken, type TestUser } from "../helpers/accounts";
import { openTestDatabase, testDatabases, type TestDatabase } from "../helpers/db";
import { startHfPeer, type HubFile } from "../helpers/hf-peer";

const sha = (data: Buffer) => createHash("sha256").update(data).digest("hex");

describe.each(testDatabases)("a retried remote ingest on %s", (kind) => {
  let database: TestDatabase;
  let data: ReturnType<typeof useTempDataDir>;
  let user: TestUser;
  let peer: Awaited<ReturnType<typeof startHfPeer>>;
  const saved = { endpoint: process.env.HF_ENDPOINT, allow: process.env.CAIRN_ALLOW_PRIVATE_SOURCES };
  // Listed in this order; the last one's first download is cut half-way, so every other file is stored by then.
  const files: HubFile[] = [
    { path: "config.json", content: Buffer.from('{"model_type":"gpt2"}') },
    { path: "tokenizer.json", content: randomBytes(20 * 1024) },
    { path: "model-00001-of-00002.safetensors", content: randomBytes(300_000), lfs: true },
    { path: "model-00002-of-00002.safetensors", content: randomBytes(300_000), lfs: true },
    { path: "generation_config.json", content: Buffer.from("{}") },
    { path: "training_args.bin", content: randomBytes(200 * 1024), dropped: 1 },
  ];
  const byPath = new Map(files.map((f) => [f.path, f]));

  beforeAll(async () => {
    peer = await startHfPeer({ "acme/flaky": { branches: { main: files } } });
    process.env.HF_ENDPOINT = peer.endpoint;
    process.env.CAIRN_ALLOW_PRIVATE_SOURCES = "127.0.0.1/32";
    guardedAgents().http.destroy();
    data = useTempDataDir();
    database = await openTestDatabase(kind);
    user = await signUpWithToken("retry");
  });
  afterAll(async () => {
    for (const [key, value] of [["HF_ENDPOINT", saved.endpoint], ["CAIRN_ALLOW_PRIVATE_SOURCES", saved.allow]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await database.close();
    data.cleanup();
    await peer.stop();
  });

  const get = async (ref: string) => json<CheckpointResponse>(await call(one.GET, "/x", { token: user.token, params: { ref } }));
  /** How often the peer served each file's bytes: the Hub's resolve for small files, the CDN for LFS ones. */
  const fetches = () => {
    const counts: Record<string, number> = {};
    for (const request of peer.requests) {
      const resolved = request.url.match(/\/resolve\/[^/]+\/(.+)$/)?.[1];
      const lfs = request.url.match(/^\/blobs\/([0-9a-f]{64})/)?.[1];
      const file = resolved ? byPath.get(decodeURIComponent(resolved)) : files.find((f) => lfs && sha(f.content) === lfs);
      if (file && !(resolved && file.lfs)) counts[file.path] = (counts[file.path] ?? 0) + 1;
    }
    return counts;
  };

  it("keeps every file the failed attempt stored and verified, and fetches only the rest", async () => {
    const created = await call(list.POST, "/x", { method: "POST", token: user.token, body: { name: "flaky", sourceType: "huggingface", sourceUri: "acme/flaky" } });
    expect(created.status).toBe(201);
    const id = (await json<CheckpointResponse>(created)).metadata.id;
    const db = await getDb();

    // Attempt 1: the connection drops half-way through training_args.bin; the queue would retry.
    await expect(runIngest(db, id)).rejects.toThrow();
    const between = await get(id);
    expect(between.status.status).toBe("new");
    expect(between.status.message).toMatch(/^Retrying after: /);
    const stored = files.filter((f) => !f.dropped);
    expect(between.status.files?.map((f) => f.path).sort()).toEqual(stored.map((f) => f.path).sort());
    expect(between.status.size).toBe(stored.reduce((sum, f) => sum + f.content.length, 0));
    expect(fetches()).toEqual(Object.fromEntries(files.map((f) => [f.path, 1])));

    // A kept file's blob that went missing from the store is fetched again.
    const lost = byPath.get("tokenizer.json");
    if (!lost) throw new Error("no tokenizer.json");
    await getBlobStore().delete(sha(lost.content));

    // Attempt 2 keeps the other four and asks the peer only for the two it lacks.
    await runIngest(db, id);
    const ready = await get(id);
    expect(ready.status.status).toBe("ready");
    expect(ready.status.files).toEqual(
      [...files].sort((a, b) => a.path.localeCompare(b.path)).map((f) => ({ path: f.path, size: f.content.length, sha256: sha(f.content) })),
    );
    expect(ready.status).toMatchObject({ fileCount: files.length, progress: { filesDone: files.length, filesTotal: files.length } });
    expect(fetches()).toEqual({ ...Object.fromEntries(files.map((f) => [f.path, 1])), "tokenizer.json": 2, "training_args.bin": 2 });

    const log = (await json<{ items: { message: string }[] }>(await call(logs.GET, "/x", { token: user.token, params: { ref: id } }))).items.map((i) => i.message);
    const attempt2 = log.slice(log.findIndex((m) => m.startsWith("Attempt 2")));
    expect(attempt2.find((m) => m.startsWith("Kept"))).toMatch(/^Kept 4 of 6 files \(.+\) from earlier attempts, stored and verified; fetching the other 2\.$/);
    expect(attempt2.filter((m) => m.startsWith("Stored ")).sort()).toEqual(["Stored tokenizer.json (20 KB).", "Stored training_args.bin (200 KB)."]);
    expect(log.slice(0, log.findIndex((m) => m.startsWith("Attempt 2"))).some((m) => m.startsWith("Kept"))).toBe(false);
  });
});
