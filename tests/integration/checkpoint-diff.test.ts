import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as list from "@/app/api/v1/checkpoints/route";
import * as file from "@/app/api/v1/checkpoints/[ref]/files/[...path]/route";
import * as commit from "@/app/api/v1/checkpoints/[ref]/commit/route";
import * as diffRoute from "@/app/api/v1/checkpoints/[ref]/diff/[other]/route";
import { getDb } from "@/lib/db/client";
import { blobTensorDigests } from "@/lib/db/schema";
import type { CheckpointDiff } from "@/lib/model-facts/kinds";
import { startFactsWorkers } from "@/lib/model-facts/worker";
import { call, json, useTempDataDir } from "../helpers/api";
import { signUpWithToken, type TestUser } from "../helpers/accounts";
import { openTestDatabase, testDatabases, type TestDatabase } from "../helpers/db";
import { safetensorsFile as safetensors, type TestTensor } from "../helpers/safetensors";



const shard1 = { "embed.weight": { dtype: "F32", shape: [256, 64], fill: 1 }, "layers.0.weight": { dtype: "F32", shape: [64, 64], fill: 2 } } satisfies Record<string, TestTensor>;
const shard2 = { "layers.1.weight": { dtype: "F32", shape: [64, 64], fill: 3 }, "head.weight": { dtype: "F32", shape: [256, 64], fill: 4 } } satisfies Record<string, TestTensor>;
const TOTAL = 256 * 64 * 2 + 64 * 64 * 2;

describe.each(testDatabases)("checkpoint diff on %s", (kind) => {
  let database: TestDatabase;
  let data: ReturnType<typeof useTempDataDir>;
  let user: TestUser;

  beforeAll(async () => {
    data = useTempDataDir();
    database = await openTestDatabase(kind);
    user = await signUpWithToken("diff");
    await startFactsWorkers({ concurrency: 1 });
  });
  afterAll(async () => {
    await database.close();
    data.cleanup();
  });

  async function upload(name: string, files: Record<string, Buffer | string>) {
    expect((await call(list.POST, "/api/v1/checkpoints", { method: "POST", token: user.token, body: { name, sourceType: "local" } })).status).toBe(201);
    for (const [filePath, body] of Object.entries(files)) {
      const put = await call(file.PUT, `/api/v1/checkpoints/${name}/files/${filePath}`, { method: "PUT", token: user.token, rawBody: Buffer.from(body), params: { ref: name, path: filePath.split("/") } });
      expect(put.status).toBeLessThan(300);
    }
    expect((await call(commit.POST, `/api/v1/checkpoints/${name}/commit`, { method: "POST", token: user.token, params: { ref: name } })).status).toBe(200);
  }
  const diff = async (a: string, b: string) => call(diffRoute.GET, `/api/v1/checkpoints/${a}/diff/${b}`, { token: user.token, params: { ref: a, other: b } });
  async function settledDiff(a: string, b: string): Promise<{ first: CheckpointDiff; last: CheckpointDiff }> {
    const first = await json<CheckpointDiff>(await diff(a, b));
    let last = first;
    const deadline = Date.now() + 30_000;
    while (last.status === "computing") {
      if (Date.now() > deadline) throw new Error("the diff was still computing after 30 s");
      await new Promise((resolve) => setTimeout(resolve, 100));
      last = await json<CheckpointDiff>(await diff(a, b));
    }
    return { first, last };
  }

  const base = { "config.json": JSON.stringify({ architectures: ["TinyForCausalLM"] }), "tokenizer.json": "{}" };

  it("finds the one changed tensor of a two-shard checkpoint: computing first, then ready and cached", async () => {
    await upload("base", { ...base, "model-00001-of-00002.safetensors": safetensors(shard1), "model-00002-of-00002.safetensors": safetensors(shard2) });
    await upload("tuned", {
      ...base,
      "model-00001-of-00002.safetensors": safetensors(shard1),
      "model-00002-of-00002.safetensors": safetensors({ ...shard2, "layers.1.weight": { ...shard2["layers.1.weight"], fill: 9 } }),
      "notes.txt": "tuned for a day",
    });
    const { first, last } = await settledDiff("base", "tuned");
    expect(first.status).toBe("computing");
    expect(last.files).toEqual({
      added: ["notes.txt"],
      removed: [],
      changed: ["model-00002-of-00002.safetensors"],
      identical: ["config.json", "model-00001-of-00002.safetensors", "tokenizer.json"],
    });
    expect(last.tensors).toEqual({ added: [], removed: [], identical: 3, changed: [{ name: "layers.1.weight", reason: "values" }] });
    expect(last.parameters).toEqual({ changed: 64 * 64, total: TOTAL });
    expect(last.problems).toEqual([]);

    // Digests exist only for the two blobs that differ: the identical shard was never hashed.
    const hashed = await (await getDb()).select({ sha256: blobTensorDigests.sha256 }).from(blobTensorDigests);
    expect(hashed).toHaveLength(2);
    const again = await json<CheckpointDiff>(await diff("base", "tuned"));
    expect(again).toEqual(last);
  });

  it("names shape, dtype, added and removed tensors without hashing anything", async () => {
    await upload("reshaped", {
      ...base,
      "model.safetensors": safetensors({
        "embed.weight": { dtype: "F32", shape: [512, 64], fill: 1 },
        "layers.0.weight": { dtype: "BF16", shape: [64, 64], fill: 2 },
        "layers.1.weight": { dtype: "F32", shape: [64, 64], fill: 3 },
        "lm_head.weight": { dtype: "F32", shape: [256, 64], fill: 4 },
      }),
    });
    const { first, last } = await settledDiff("base", "reshaped");
    expect(first.status).toBe("computing"); // layers.1 sits in different blobs on each side
    expect(last.files.added).toEqual(["model.safetensors"]);
    expect(last.files.removed).toEqual(["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]);
    expect(last.tensors).toEqual({
      added: ["lm_head.weight"],
      removed: ["head.weight"],
      identical: 1,
      changed: [
        { name: "embed.weight", reason: "shape" },
        { name: "layers.0.weight", reason: "dtype" },
      ],
    });
    expect(last.parameters).toEqual({ changed: 512 * 64 + 64 * 64 + 256 * 64, total: 512 * 64 + 64 * 64 * 2 + 256 * 64 });
  });

  it("holds a computing answer with ?wait until the digests are in, and refuses a bad wait", async () => {
    const shard = (fill: number) => safetensors({ "w.weight": { dtype: "F32", shape: [128, 64], fill } });
    await upload("wait-a", { "model.safetensors": shard(5) });
    await upload("wait-b", { "model.safetensors": shard(6) });
    const ask = (query: string) =>
      call(diffRoute.GET, `/api/v1/checkpoints/wait-a/diff/wait-b${query}`, { token: user.token, params: { ref: "wait-a", other: "wait-b" } });
    const held = await json<CheckpointDiff>(await ask("?wait=30"));
    // One request, no polling: the answer came back ready, with the changed tensor named.
    expect(held.status).toBe("ready");
    expect(held.tensors?.changed).toEqual([{ name: "w.weight", reason: "values" }]);

    const bad = await ask("?wait=600");
    expect(bad.status).toBe(400);
    expect((await json<{ error: { message: string } }>(bad)).error.message).toMatch(/wait at most 60 seconds/);
  });

  it("compares checkpoints without weights by file only, and refuses one that is not ready", async () => {
    await upload("docs-a", { "README.md": "a" });
    await upload("docs-b", { "README.md": "b" });
    const { first } = await settledDiff("docs-a", "docs-b");
    expect(first).toEqual({ status: "ready", files: { added: [], removed: [], changed: ["README.md"], identical: [] }, tensors: null, parameters: null, problems: [] });

    expect((await call(list.POST, "/api/v1/checkpoints", { method: "POST", token: user.token, body: { name: "half-uploaded", sourceType: "local" } })).status).toBe(201);
    const refused = await diff("docs-a", "half-uploaded");
    expect(refused.status).toBe(409);
    expect((await json<{ error: { message: string } }>(refused)).error.message).toMatch(/'half-uploaded' is 'uploading'.*Wait until it is ready/);
    const missing = await diff("docs-a", "no-such-checkpoint");
    expect(missing.status).toBe(404);
  });
});
