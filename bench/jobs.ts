import { execFile } from "node:child_process";
import { chmod, mkdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { startSlurmCluster } from "../tests/helpers/slurm-cluster";
import { Api } from "./api";
import { bytesFromEnv, fixed, GiB, mbPerSecond, percentile, runCommand, settleDisk, timed, writeRandomFile, type BenchContext, type Benchmark, type Row } from "./harness";

const run = promisify(execFile);
const FILES = 4;
const LAUNCHES = 5;
const SIZE_RATIO_TARGET = 1.2;
const CACHE_RATIO_TARGET = 0.8;
const WARM_TARGET_MS = 50;
const SLURM_RATIO_TARGET = 1.5;
/** The job prints the clock as its first line: log shipping and polling do not count. */
const CLOCK = ["sh", "-c", "date +%s%3N"];

type Job = { id: string; status: string; message: string | null };
type Logs = { items: { stream: string; message: string }[] };

async function waitForEnd(api: Api, name: string, id: string): Promise<void> {
  for (;;) {
    const current = await api.json<Job>("GET", `/api/v1/jobs/${id}`);
    if (["succeeded", "failed", "stopped"].includes(current.status)) {
      if (current.status !== "succeeded") throw new Error(`job ${name} ${current.status}: ${current.message}`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** POST → the job's first stdout line (the clock it printed), and its log lines. */
async function launchToFirstLine(api: Api, name: string, checkpointIds: string[]): Promise<{ ms: number; logs: string[] }> {
  const sent = Date.now();
  const job = await api.json<Job>("POST", "/api/v1/jobs", { name, type: "training", command: CLOCK, checkpoints: checkpointIds.map((ref) => ({ ref })), captureOutputs: false });
  await waitForEnd(api, name, job.id);
  const logs = (await api.json<Logs>("GET", `/api/v1/jobs/${job.id}/logs`)).items;
  const first = logs.find((line) => line.stream === "stdout");
  if (!first) throw new Error(`job ${name} printed nothing`);
  return { ms: Number(first.message.trim()) - sent, logs: logs.map((l) => l.message) };
}

/** How long the agent took to lay out the inputs, from its own log line. */
function inputsMs(logs: string[]): number {
  const line = logs.find((l) => l.startsWith("Inputs ready:"));
  const ms = line ? Number(/ in (\d+) ms/.exec(line)?.[1]) : Number.NaN;
  if (!Number.isFinite(ms)) throw new Error(`no inputs line in ${logs.join(" | ")}`);
  return ms;
}

async function checkpointOf(api: Api, name: string, files: { name: string; file: string; size: number }[]): Promise<string> {
  const id = await api.createLocalCheckpoint(name);
  for (const file of files) await api.putFile(id, file.name, file.file, file.size);
  await api.commit(id);
  return id;
}

/** Launch → first line with 2 GiB attached against 1 KiB attached: attaching must not grow with size. */
async function sizeRows(ctx: BenchContext): Promise<{ rows: Row[]; notes: string[] }> {
  const bytes = bytesFromEnv("BENCH_JOBS_BYTES", 2 * GiB, FILES);
  const fileBytes = Math.floor(bytes / FILES);
  const source = path.join(ctx.workDir, "checkpoint");
  const dataDir = path.join(ctx.workDir, "data");
  await mkdir(source, { recursive: true });
  await mkdir(dataDir, { recursive: true });
  // A server running as root runs jobs as nobody, who must be able to reach the data directory.
  for (let dir = dataDir; dir.startsWith(`${ctx.root}${path.sep}`); dir = path.dirname(dir)) await chmod(dir, 0o755).catch(() => {});
  ctx.log(`writing ${FILES} files, ${fixed(bytes / GiB, 2)} GiB in all…`);
  const big = Array.from({ length: FILES }, (_, i) => ({ name: `shard-${i}.safetensors`, file: path.join(source, `shard-${i}.safetensors`), size: fileBytes }));
  for (const file of big) await writeRandomFile(file.file, file.size);
  await writeRandomFile(path.join(source, "tiny.bin"), 1024);

  const server = await ctx.startServer(dataDir);
  const { api } = await Api.signUp(server.url);
  const bigId = await checkpointOf(api, "bench-2g", big);
  const tinyId = await checkpointOf(api, "bench-1k", [{ name: "tiny.bin", file: path.join(source, "tiny.bin"), size: 1024 }]);
  await rm(source, { recursive: true, force: true });
  ctx.log("checkpoints ready; warming up the runner…");
  await launchToFirstLine(api, "warm-up", [tinyId]);
  const withBig: number[] = [];
  const withTiny: number[] = [];
  for (let i = 0; i < LAUNCHES; i += 1) {
    await settleDisk();
    withTiny.push((await launchToFirstLine(api, `tiny-${i}`, [tinyId])).ms);
    await settleDisk();
    withBig.push((await launchToFirstLine(api, `big-${i}`, [bigId])).ms);
  }
  const big50 = percentile(withBig, 50);
  const tiny50 = percentile(withTiny, 50);
  const ratio = big50 / tiny50;
  return {
    rows: [
      {
        benchmark: "jobs",
        metric: `local: launch → first line, ${fixed(bytes / GiB, 2)} GiB attached (median of ${LAUNCHES})`,
        value: `${fixed(big50, 0)} ms`,
        baseline: `1 KiB attached ${fixed(tiny50, 0)} ms`,
        ratio,
        target: `≤ ${SIZE_RATIO_TARGET}×`,
        pass: ratio <= SIZE_RATIO_TARGET,
      },
    ],
    notes: [`local launches with ${fixed(bytes / GiB, 2)} GiB: ${withBig.map((ms) => fixed(ms, 0)).join(", ")} ms; with 1 KiB: ${withTiny.map((ms) => fixed(ms, 0)).join(", ")} ms`],
  };
}

/**
 * The agent's inputs through a cold node cache (the blob store out of its sight, as on a cluster
 * node): fetched in parallel ranges, verified, flushed and linked — against curl | tee | openssl of
 * the same file, then sync. Then the same checkpoint again through the warm cache.
 */
async function cacheRows(ctx: BenchContext): Promise<{ rows: Row[]; notes: string[] }> {
  const size = bytesFromEnv("BENCH_JOBS_CACHE_BYTES", GiB);
  const dataDir = path.join(ctx.workDir, "cache-data");
  const cacheDir = path.join(ctx.workDir, "node-cache");
  await mkdir(dataDir, { recursive: true });
  const file = path.join(ctx.workDir, "model.bin");
  await writeRandomFile(file, size);
  const server = await ctx.startServer(dataDir, { CAIRN_SHARED_BLOB_DIR: path.join(ctx.workDir, "not-mounted"), CAIRN_CACHE_DIR: cacheDir });
  const { api } = await Api.signUp(server.url);
  const id = await checkpointOf(api, "bench-cache", [{ name: "model.bin", file, size }]);
  await rm(file, { force: true });
  const url = `${server.url}/api/v1/checkpoints/${id}/files/model.bin`;
  const out = path.join(ctx.workDir, "curl.bin");
  const reference: number[] = [];
  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < 3; i += 1) {
    await rm(cacheDir, { recursive: true, force: true });
    await settleDisk();
    const shell = `curl -sS -f -H 'authorization: ${api.authHeader}' '${url}' | tee '${out}' | openssl dgst -sha256 > /dev/null && sync`;
    reference.push((await timed(() => runCommand("sh", ["-c", shell]))).ms);
    await rm(out, { force: true });
    await settleDisk();
    cold.push(inputsMs((await launchToFirstLine(api, `cold-${i}`, [id])).logs));
    warm.push(inputsMs((await launchToFirstLine(api, `warm-${i}`, [id])).logs));
  }
  const ref50 = percentile(reference, 50);
  const cold50 = percentile(cold, 50);
  const warm50 = percentile(warm, 50);
  const ratio = ref50 / cold50;
  return {
    rows: [
      {
        benchmark: "jobs",
        metric: `agent inputs, ${fixed(size / GiB, 2)} GiB through a cold node cache (median of 3)`,
        value: `${fixed(mbPerSecond(size, cold50), 1)} MB/s (${fixed(cold50, 0)} ms)`,
        baseline: `curl | tee | openssl dgst + sync ${fixed(mbPerSecond(size, ref50), 1)} MB/s`,
        ratio,
        target: `≥ ${CACHE_RATIO_TARGET}×`,
        pass: ratio >= CACHE_RATIO_TARGET,
      },
      { benchmark: "jobs", metric: "agent inputs, the same checkpoint through the warm cache", value: `${fixed(warm50, 0)} ms`, target: `≤ ${WARM_TARGET_MS} ms`, pass: warm50 <= WARM_TARGET_MS },
    ],
    notes: [`cold cache ${cold.map((ms) => fixed(ms, 0)).join(", ")} ms; reference ${reference.map((ms) => fixed(ms, 0)).join(", ")} ms; warm ${warm.map((ms) => fixed(ms, 0)).join(", ")} ms`],
  };
}

/** Launch → first line on a real one-node Slurm cluster, against `sbatch --wrap` of the same command. */
async function slurmRows(ctx: BenchContext): Promise<{ rows: Row[]; notes: string[] }> {
  const cluster = await startSlurmCluster({ gpus: 1 });
  try {
    const dataDir = path.join(ctx.workDir, "slurm-data");
    await mkdir(dataDir, { recursive: true });
    const server = await ctx.startServer(dataDir, { ...cluster.env, CAIRN_JOB_RUNNER: "slurm", CAIRN_SLURM_WORK_DIR: path.join(dataDir, "slurm-jobs") });
    const { api } = await Api.signUp(server.url);
    const env = { ...process.env, ...cluster.env };
    const sbatchFirstLine = async (i: number) => {
      const output = path.join(ctx.workDir, `wrap-${i}.out`);
      const sent = Date.now();
      await run("sbatch", ["--parsable", `--output=${output}`, "--wrap", CLOCK[2] ?? ""], { env });
      for (;;) {
        const text = await readFile(output, "utf8").catch(() => "");
        if (/^\d+\n/.test(text)) return Number(text.trim()) - sent;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    await launchToFirstLine(api, "slurm-warm-up", []);
    await sbatchFirstLine(-1);
    const cairn: number[] = [];
    const wrap: number[] = [];
    for (let i = 0; i < LAUNCHES; i += 1) {
      wrap.push(await sbatchFirstLine(i));
      cairn.push((await launchToFirstLine(api, `slurm-${i}`, [])).ms);
    }
    const cairn50 = percentile(cairn, 50);
    const wrap50 = percentile(wrap, 50);
    const ratio = cairn50 / wrap50;
    return {
      rows: [
        {
          benchmark: "jobs",
          metric: `slurm: launch → first line (median of ${LAUNCHES})`,
          value: `${fixed(cairn50, 0)} ms`,
          baseline: `sbatch --wrap ${fixed(wrap50, 0)} ms`,
          ratio,
          target: `≤ ${SLURM_RATIO_TARGET}×`,
          pass: ratio <= SLURM_RATIO_TARGET,
        },
      ],
      notes: [`slurm launches ${cairn.map((ms) => fixed(ms, 0)).join(", ")} ms; sbatch --wrap ${wrap.map((ms) => fixed(ms, 0)).join(", ")} ms`],
    };
  } finally {
    await cluster.stop();
  }
}

export const jobsBenchmark: Benchmark = {
  name: "jobs",
  summary: "job launch with 2 GiB vs 1 KiB attached (local), agent inputs through a cold and a warm node cache, and launch on Slurm vs sbatch --wrap",
  async run(ctx) {
    const parts = [await sizeRows(ctx), await cacheRows(ctx), await slurmRows(ctx)];
    return { rows: parts.flatMap((p) => p.rows), notes: parts.flatMap((p) => p.notes) };
  },
};
