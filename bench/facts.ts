import { randomBytes } from "node:crypto";
import { open, stat } from "node:fs/promises";
import path from "node:path";
import { Api } from "./api";
import { bytesFromEnv, fixed, GiB, percentile, runCommand, settleDisk, timed, type Benchmark, type Row } from "./harness";

const SHARDS = 4;
const TENSORS_PER_SHARD = 16;

/**
 * Writes one safetensors shard to the format's spec: `TENSORS_PER_SHARD` F32 tensors of
 * `tensorBytes` each. Tensor bytes come from one random block, with the shard and tensor index
 * (and `changed` for the one tensor a second checkpoint alters) written into the first bytes, so
 * every tensor is distinct and the changed one differs only in its values.
 */
async function writeShard(file: string, shard: number, block: Buffer, changed: number | null): Promise<void> {
  const side = Math.floor(Math.sqrt(block.length / 4));
  const size = side * side * 4;
  const header: Record<string, unknown> = {};
  for (let t = 0; t < TENSORS_PER_SHARD; t++) header[`model.layers.${shard * TENSORS_PER_SHARD + t}.weight`] = { dtype: "F32", shape: [side, side], data_offsets: [t * size, (t + 1) * size] };
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  const handle = await open(file, "w");
  try {
    await handle.write(Buffer.concat([length, json]));
    for (let t = 0; t < TENSORS_PER_SHARD; t++) {
      block.writeUInt32LE(shard, 0);
      block.writeUInt32LE(t, 4);
      block.writeUInt32LE(changed === t ? 0xdeadbeef : 0, 8);
      await handle.write(block, 0, size);
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function upload(api: Api, name: string, dir: string, sizes: number[]): Promise<string> {
  const id = await api.createLocalCheckpoint(name);
  for (let s = 0; s < SHARDS; s++) await api.putFile(id, `model-0000${s + 1}-of-0000${SHARDS}.safetensors`, path.join(dir, `shard-${s}.safetensors`), sizes[s]!);
  await api.commit(id);
  return id;
}

/** Polls until `done` answers true, every 5 ms; the time it took. */
async function until(done: () => Promise<boolean>, timeoutMs = 600_000): Promise<number> {
  const start = performance.now();
  while (!(await done())) {
    if (performance.now() - start > timeoutMs) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return performance.now() - start;
}

export const factsBenchmark: Benchmark = {
  name: "facts",
  summary: "model facts on a 4-shard safetensors checkpoint, and a diff of two that differ in one tensor",
  async run(ctx) {
    const total = bytesFromEnv("BENCH_FACTS_BYTES", GiB, 64 * 1024 * 1024);
    const tensorBytes = Math.floor(total / SHARDS / TENSORS_PER_SHARD);
    const dirA = path.join(ctx.workDir, "a");
    const dirB = path.join(ctx.workDir, "b");
    await runCommand("mkdir", ["-p", dirA, dirB]);
    const sizes: number[] = [];
    // One random block for both checkpoints: their tensors differ only where a shard says so.
    const block = randomBytes(tensorBytes);
    for (let s = 0; s < SHARDS; s++) {
      await writeShard(path.join(dirA, `shard-${s}.safetensors`), s, block, null);
      await writeShard(path.join(dirB, `shard-${s}.safetensors`), s, block, s === 2 ? 5 : null);
      sizes.push((await stat(path.join(dirA, `shard-${s}.safetensors`))).size);
    }
    const bytes = sizes.reduce((a, b) => a + b, 0);
    await settleDisk();

    const server = await ctx.startServer(path.join(ctx.workDir, "data"));
    const { api } = await Api.signUp(server.url);
    const rows: Row[] = [];

    // Facts: from the first byte sent to `status.model`, against to `ready` (the commit's answer).
    const start = performance.now();
    const a = await upload(api, "facts-a", dirA, sizes);
    const readyMs = performance.now() - start;
    await until(async () => (await api.json<{ status: { model: unknown } }>("GET", `/api/v1/checkpoints/${a}`)).status.model !== null);
    const factsMs = performance.now() - start;
    const overhead = factsMs / readyMs;
    rows.push({
      benchmark: "facts",
      metric: `model facts of a ${fixed(bytes / GiB, 2)} GiB 4-shard checkpoint`,
      value: `facts at ${fixed(factsMs, 0)} ms`,
      baseline: `ready at ${fixed(readyMs, 0)} ms`,
      ratio: overhead,
      target: "≤ 1.02",
      pass: overhead <= 1.02,
    });

    // Diff: the first answer needs the per-tensor SHA-256s of the one shard that differs, on both sides.
    const b = await upload(api, "facts-b", dirB, sizes);
    await settleDisk();
    // As the CLI asks: one request the server holds until the digests are in (no polling load).
    const first = await timed(() =>
      until(async () => (await api.json<{ status: string }>("GET", `/api/v1/checkpoints/${a}/diff/${b}?wait=60`)).status === "ready"),
    );
    const diff = await api.json<{ tensors: { changed: { name: string }[] }; parameters: { changed: number; total: number } }>("GET", `/api/v1/checkpoints/${a}/diff/${b}`);
    if (diff.tensors.changed.length !== 1) throw new Error(`expected one changed tensor, the diff says ${JSON.stringify(diff.tensors.changed)}`);
    const reference = await timed(() => runCommand("sh", ["-c", `cat ${dirA}/shard-*.safetensors | openssl dgst -sha256 > /dev/null`]));
    rows.push({
      benchmark: "facts",
      metric: "diff, first time (one tensor differs)",
      value: `${fixed(first.ms, 0)} ms`,
      baseline: `openssl dgst -sha256 of one checkpoint ${fixed(reference.ms, 0)} ms`,
      ratio: first.ms / reference.ms,
      target: "≤ 1.2",
      pass: first.ms / reference.ms <= 1.2,
    });
    const cached: number[] = [];
    for (let i = 0; i < 20; i++) cached.push((await timed(() => api.json("GET", `/api/v1/checkpoints/${a}/diff/${b}`))).ms);
    const p95 = percentile(cached, 95);
    rows.push({ benchmark: "facts", metric: "diff, cached (p95 of 20)", value: `${fixed(p95, 1)} ms`, target: "≤ 50 ms", pass: p95 <= 50 });
    return {
      rows,
      notes: [
        `facts are read by a queue task after the commit answers; the ratio is the time to status.model over the time to ready, from the first byte of the upload`,
        `the diff hashes only the changed shard's two blobs (${fixed(sizes[2]! / 1024 / 1024, 0)} MiB each, two digest workers); the identical shards share blobs and are never hashed`,
      ],
    };
  },
};
