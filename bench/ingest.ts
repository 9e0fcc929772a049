import { randomBytes } from "node:crypto";
import { mkdir, open, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Api } from "./api";
import {
  bytesFromEnv,
  curlTeeSha256,
  fixed,
  GiB,
  mbPerSecond,
  MB,
  missingTools,
  percentile,
  runCommand,
  settleDisk,
  sha256File,
  skippedRow,
  timed,
  writeRandomFile,
  type Benchmark,
  type BenchContext,
  type Row,
} from "./harness";
import { rcloneEnv, S3_ACCESS, startFileServer, startS3rver } from "./ingest-peers";
import { RssSampler, type Server } from "./server";

/** Web and tar.gz are judged against the same work in C tools (fetch or extract, SHA-256 with OpenSSL, sync). */
const WEB_TARGET = 0.9;
const S3_TARGET = 1.0;
const TAR_TIME_TARGET = 1.2;
const RSS_TARGET_MB = 300;
const S3_FILES = 8;
const TAR_FILES = 4;
const BUCKET = "bench";
// How often the benchmark asks whether an ingest is done; its time comes from the creation log.
const POLL_MS = 250;

type Expected = Map<string, string>;

/** Random files `name-0.bin…` under `dir`, `total` bytes in all; their SHA-256 by path. */
async function randomFiles(dir: string, prefix: string, count: number, total: number): Promise<Expected> {
  await mkdir(dir, { recursive: true });
  const expected: Expected = new Map();
  for (let i = 0; i < count; i++) {
    const name = `${prefix}-${i}.bin`;
    const size = Math.floor(total / count) + (i === count - 1 ? total % count : 0);
    expected.set(name, await writeRandomFile(path.join(dir, name), size));
  }
  return expected;
}

/**
 * Polls the checkpoint until it is ready (or failed: thrown), then reads its creation log: when
 * the ingest started (its first "Attempt" line) and when it was sealed (the "Ready" line), as
 * milliseconds after `startedAt` (Date.now() before the POST; the server runs on this machine's
 * clock). Timing from the log costs the server nothing, where polling often enough to time a
 * two-second ingest would cost it a request every few milliseconds.
 */
async function waitUntilReady(api: Api, checkpointId: string, startedAt: number): Promise<{ startedMs: number; doneMs: number }> {
  for (;;) {
    const { status, message } = await api.status(checkpointId);
    if (status === "ready") break;
    if (status === "failed") throw new Error(`the ingest failed: ${message ?? "(no message)"}`);
    if (Date.now() - startedAt > 10 * 60_000) throw new Error(`the ingest was still '${status}' after 10 minutes`);
    await sleep(POLL_MS);
  }
  const { items } = await api.json<{ items: { at: string; message: string }[] }>("GET", `/api/v1/checkpoints/${checkpointId}/logs`);
  const at = (prefix: string) => {
    const line = items.findLast((item) => item.message.startsWith(prefix));
    if (!line) throw new Error(`the creation log has no '${prefix}' line`);
    return Date.parse(line.at) - startedAt;
  };
  return { startedMs: at("Attempt"), doneMs: at("Ready") };
}

type Ingested = { ms: number; queuedMs: number; rssGrowth: number; rssBaseline: number; serverCpu: number; intact: boolean };

/** One ingest through the API, timed from the POST to `ready`, with the server's memory and CPU. */
async function ingest(server: Server, api: Api, create: () => Promise<string>, expected: Expected): Promise<Ingested> {
  const sampler = new RssSampler(server);
  const cpuBefore = server.cpuSeconds();
  sampler.start();
  const startedAt = Date.now();
  const id = await create();
  const { startedMs, doneMs } = await waitUntilReady(api, id, startedAt);
  const rss = sampler.stop();
  const serverCpu = server.cpuSeconds() - cpuBefore;
  const files = await api.files(id);
  const intact = files.length === expected.size && files.every((file) => expected.get(path.basename(file.path)) === file.sha256);
  return { ms: doneMs, queuedMs: startedMs, rssGrowth: rss.growth, rssBaseline: rss.baseline, serverCpu, intact };
}

function commonRows(name: string, result: Ingested): Row[] {
  const growthMb = result.rssGrowth / MB;
  return [
    { benchmark: name, metric: "server peak RSS growth", value: `${fixed(growthMb)} MB`, baseline: `idle ${fixed(result.rssBaseline / MB)} MB`, target: `< ${RSS_TARGET_MB} MB`, pass: growthMb < RSS_TARGET_MB },
    { benchmark: name, metric: "stored sha256 = source", value: result.intact ? "yes" : "no", pass: result.intact },
    { benchmark: name, metric: "time / queued / server CPU", value: `${fixed(result.ms / 1000, 2)} s / ${fixed(result.queuedMs / 1000, 2)} s / ${fixed(result.serverCpu, 2)} s` },
  ];
}

/** Web pairs (curl, then Cairn); the medians are reported. */
const WEB_RUNS = 3;

async function webCase(ctx: BenchContext, server: Server, api: Api, dir: string, size: number): Promise<Row[]> {
  const file = path.join(dir, "web-model.bin");
  await writeRandomFile(file, size);
  try {
    const curlRuns: number[] = [];
    const pipelineRuns: number[] = [];
    const runs: Ingested[] = [];
    for (let run = 1; run <= WEB_RUNS; run++) {
      // New first bytes each run: Cairn stores the file again instead of finding its blob stored.
      const handle = await open(file, "r+");
      await handle.write(randomBytes(16), 0, 16, 0);
      await handle.close();
      const sha256 = await sha256File(file);
      const peer = await startFileServer(ctx.root, file);
      try {
        ctx.log(`web ${run}/${WEB_RUNS}: curl -o, curl|tee|openssl+sync, then Cairn…`);
        const out = path.join(dir, "curl-out.bin");
        await settleDisk();
        curlRuns.push((await timed(() => runCommand("curl", ["-sSf", "-o", out, peer.url]))).ms);
        await rm(out);
        await settleDisk();
        pipelineRuns.push((await timed(() => curlTeeSha256(peer.url, out))).ms);
        await rm(out);
        await settleDisk();
        runs.push(await ingest(server, api, () => api.createSourceCheckpoint(`bench-web-${run}`, "web", peer.url), new Map([["web-model.bin", sha256]])));
      } finally {
        await peer.stop();
      }
    }
    const result = medianRun(runs);
    const mbps = mbPerSecond(size, result.ms);
    const curlMbps = mbPerSecond(size, percentile(curlRuns, 50));
    const pipelineMbps = mbPerSecond(size, percentile(pipelineRuns, 50));
    const ratio = mbps / pipelineMbps;
    return [
      { benchmark: "ingest/web", metric: "throughput vs same work", value: `${fixed(mbps)} MB/s`, baseline: `curl|tee|openssl+sync ${fixed(pipelineMbps)} MB/s`, ratio, target: `≥ ${WEB_TARGET}`, pass: ratio >= WEB_TARGET },
      { benchmark: "ingest/web", metric: "throughput vs plain curl", value: `${fixed(mbps)} MB/s`, baseline: `curl -o ${fixed(curlMbps)} MB/s`, ratio: mbps / curlMbps },
      { benchmark: "ingest/web", metric: `times of ${WEB_RUNS} runs`, value: runs.map((r) => fixed(r.ms / 1000, 2)).join(" / ") + " s", baseline: `same work ${pipelineRuns.map((ms) => fixed(ms / 1000, 2)).join(" / ")} s` },
      ...commonRows("ingest/web", result),
    ];
  } finally {
    await rm(file, { force: true });
  }
}

/** The run of median time, with the worst memory growth and whether every run stored the right bytes. */
function medianRun(runs: Ingested[]): Ingested {
  const median = [...runs].sort((a, b) => a.ms - b.ms)[Math.floor((runs.length - 1) / 2)];
  return { ...median, rssGrowth: Math.max(...runs.map((r) => r.rssGrowth)), intact: runs.every((r) => r.intact) };
}

async function s3Case(ctx: BenchContext, server: Server, api: Api, dir: string, size: number): Promise<Row[]> {
  const s3 = await startS3rver(ctx.root, path.join(dir, "s3rver"), BUCKET);
  try {
    const staging = path.join(dir, "s3-staging");
    const expected = await randomFiles(staging, "shard", S3_FILES, size);
    const env = rcloneEnv(s3.endpoint);
    ctx.log("s3: filling s3rver…");
    await runCommand("rclone", ["copy", staging, `bench:${BUCKET}/model/`], { env });
    await rm(staging, { recursive: true });
    await api.createS3Connection("bench-s3rver", s3.endpoint, S3_ACCESS);
    // A few bytes first, so loading the S3 client is not counted as ingest memory.
    await writeFile(path.join(dir, "warm.bin"), "warm");
    await runCommand("rclone", ["copyto", path.join(dir, "warm.bin"), `bench:${BUCKET}/warm/warm.bin`], { env });
    await ingest(server, api, () => api.createSourceCheckpoint("bench-s3-warm", "s3", `s3://${BUCKET}/warm/`, "bench-s3rver"), new Map());

    ctx.log("s3: rclone copy, then Cairn…");
    const out = path.join(dir, "rclone-out");
    await settleDisk();
    const rclone = await timed(() => runCommand("rclone", ["copy", `bench:${BUCKET}/model/`, out], { env }));
    await rm(out, { recursive: true });
    await settleDisk();
    const result = await ingest(server, api, () => api.createSourceCheckpoint("bench-s3", "s3", `s3://${BUCKET}/model/`, "bench-s3rver"), expected);
    const mbps = mbPerSecond(size, result.ms);
    const rcloneMbps = mbPerSecond(size, rclone.ms);
    return [
      { benchmark: "ingest/s3", metric: "throughput", value: `${fixed(mbps)} MB/s`, baseline: `rclone ${fixed(rcloneMbps)} MB/s`, ratio: mbps / rcloneMbps, target: `≥ ${S3_TARGET}`, pass: mbps / rcloneMbps >= S3_TARGET },
      ...commonRows("ingest/s3", result),
    ];
  } finally {
    await s3.stop();
  }
}

async function tarCase(ctx: BenchContext, server: Server, api: Api, datastore: string, size: number): Promise<Row[]> {
  const content = path.join(datastore, "content");
  const expected = await randomFiles(path.join(content, "model"), "part", TAR_FILES, size);
  const archive = path.join(datastore, "model.tar.gz");
  ctx.log("tar.gz: packing (gzip -1)…");
  await runCommand("sh", ["-c", `tar cf - -C "${content}" model | gzip -1 > "${archive}"`]);
  await rm(content, { recursive: true });
  ctx.log("tar.gz: tar xzf, then Cairn…");
  const out = path.join(datastore, "..", "tar-out");
  await mkdir(out, { recursive: true });
  await settleDisk();
  const tar = await timed(() => runCommand("tar", ["xzf", archive, "-C", out]));
  await rm(out, { recursive: true });
  await mkdir(out, { recursive: true });
  await settleDisk();
  // The same work as Cairn's: extract, SHA-256 every extracted file (OpenSSL), flush to disk.
  const script = 'set -o pipefail; tar xzf "$1" -C "$2" && find "$2" -type f -print0 | xargs -0 openssl dgst -sha256 > /dev/null && sync';
  const pipeline = await timed(() => runCommand("bash", ["-c", script, "bash", archive, out]));
  await rm(out, { recursive: true });
  await settleDisk();
  const result = await ingest(server, api, () => api.createSourceCheckpoint("bench-targz", "datastore", archive), expected);
  const ratio = result.ms / pipeline.ms;
  return [
    { benchmark: "ingest/tar.gz", metric: "time vs same work", value: `${fixed(result.ms / 1000, 2)} s`, baseline: `tar xzf + openssl sha256 + sync ${fixed(pipeline.ms / 1000, 2)} s`, ratio, target: `≤ ${TAR_TIME_TARGET}`, pass: ratio <= TAR_TIME_TARGET },
    { benchmark: "ingest/tar.gz", metric: "time vs plain tar", value: `${fixed(result.ms / 1000, 2)} s`, baseline: `tar xzf ${fixed(tar.ms / 1000, 2)} s`, ratio: result.ms / tar.ms },
    ...commonRows("ingest/tar.gz", result),
  ];
}

/** Loads the web, datastore and archive code paths once, so module loading is not counted as ingest memory. */
async function warmUp(ctx: BenchContext, server: Server, api: Api, dir: string, datastore: string): Promise<void> {
  const file = path.join(dir, "warm.bin");
  const sha256 = await writeRandomFile(file, 1024 * 1024);
  const peer = await startFileServer(ctx.root, file);
  try {
    await ingest(server, api, () => api.createSourceCheckpoint("bench-warm-web", "web", peer.url), new Map([["warm.bin", sha256]]));
  } finally {
    await peer.stop();
  }
  await runCommand("sh", ["-c", `tar cf - -C "${dir}" warm.bin | gzip -1 > "${path.join(datastore, "warm.tar.gz")}"`]);
  await ingest(server, api, () => api.createSourceCheckpoint("bench-warm-tar", "datastore", path.join(datastore, "warm.tar.gz")), new Map([["warm.bin", sha256]]));
  await rm(file);
}

export const ingestBenchmark: Benchmark = {
  name: "ingest",
  summary: "1 GiB over HTTP vs curl|tee|openssl+sync, a 1 GiB multi-file prefix from s3rver vs rclone, a 1 GiB .tar.gz vs tar xzf + openssl + sync; server peak RSS growth",
  async run(ctx) {
    const size = bytesFromEnv("BENCH_INGEST_BYTES", GiB, S3_FILES);
    const dir = path.join(ctx.workDir, "peers");
    const datastore = path.join(ctx.workDir, "datastore");
    await mkdir(dir, { recursive: true });
    await mkdir(datastore, { recursive: true });
    const server = await ctx.startServer(path.join(ctx.workDir, "data"), {
      CAIRN_ALLOW_PRIVATE_SOURCES: "127.0.0.0/8",
      CAIRN_DATASTORE_ROOTS: datastore,
    });
    try {
      const { api } = await Api.signUp(server.url);
      await warmUp(ctx, server, api, dir, datastore);
      // BENCH_INGEST_CASES=web,s3 runs only those (when profiling one path, say).
      const cases = (process.env.BENCH_INGEST_CASES ?? "web,s3,tar.gz").split(",");
      const rows: Row[] = [];
      // A reference tool that is missing skips only the case that needs it.
      const without = async (tools: string[]) => missingTools(tools, ctx.log);
      if (cases.includes("web")) {
        const missing = await without(["curl", "openssl"]);
        rows.push(...(missing.length > 0 ? [skippedRow("ingest/web", "throughput vs same work", missing)] : await webCase(ctx, server, api, dir, size)));
      }
      if (cases.includes("s3")) {
        const missing = await without(["rclone"]);
        rows.push(...(missing.length > 0 ? [skippedRow("ingest/s3", "throughput", missing)] : await s3Case(ctx, server, api, dir, size)));
      }
      if (cases.includes("tar.gz")) {
        const missing = await without(["tar", "openssl"]);
        rows.push(...(missing.length > 0 ? [skippedRow("ingest/tar.gz", "time vs same work", missing)] : await tarCase(ctx, server, api, datastore, size)));
      }
      const notes = [
        `${size} bytes of random data per case (MB = 10^6 bytes): one file over HTTP; ${S3_FILES} objects under one s3rver prefix; ${TAR_FILES} files in a tar packed with gzip -1`,
        `Cairn's time runs from the POST that creates the checkpoint until it reads 'ready' (polled every ${POLL_MS} ms): queueing, hashing, fsync and the manifest included; the judged references do the same work (write, OpenSSL SHA-256, sync); rclone checks MD5s as it copies; plain curl and tar are reported beside them`,
        "each reference tool reads the same bytes from the same peer right before Cairn does",
      ];
      return { rows, notes };
    } finally {
      await server.stop();
    }
  },
};
