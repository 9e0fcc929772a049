import { spawn } from "node:child_process";
import { createReadStream } from "node:fs";
import { mkdir, rm, stat } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { Upload } from "tus-js-client";
import { Api } from "./api";
import { bytesFromEnv, fixed, fsyncFile, GiB, mbPerSecond, MB, missingTools, runCommand, settleDisk, skippedRow, timed, writeRandomFile, type Benchmark, type Row } from "./harness";
import { RssSampler, type Server } from "./server";

/** Judged against the same client into a loopback server that only counts bytes: the ceiling this client allows here. */
const RATIO_TARGET = 0.8;
const RSS_TARGET_MB = 200;

const CP_RUNS = 3;

/**
 * Times `cp source target` and then the copy's fsync, `CP_RUNS` times, and keeps the median run:
 * a single copy of a warm file swings by 2–3× with the page cache's state.
 */
async function timeCp(source: string, target: string): Promise<{ mbps: number; mbpsWithFsync: number }> {
  const { size } = await stat(source);
  const runs: { copyMs: number; flushMs: number }[] = [];
  for (let run = 0; run < CP_RUNS; run++) {
    await settleDisk();
    const copy = await timed(() => runCommand("cp", [source, target]));
    const flush = await timed(() => fsyncFile(target));
    await rm(target);
    runs.push({ copyMs: copy.ms, flushMs: flush.ms });
  }
  const median = runs.sort((a, b) => a.copyMs - b.copyMs)[Math.floor(CP_RUNS / 2)];
  return { mbps: mbPerSecond(size, median.copyMs), mbpsWithFsync: mbPerSecond(size, median.copyMs + median.flushMs) };
}

/** tus-js-client as a Node script uses it: a path-backed ReadStream, default options otherwise. */
function tusUpload(api: Api, file: string, metadata: Record<string, string>): { chunkSize: number; done: Promise<void> } {
  let upload: Upload | undefined;
  const done = new Promise<void>((resolve, reject) => {
    // The typings list only browser inputs; in Node a ReadStream with a path is read by range.
    upload = new Upload(createReadStream(file) as unknown as Buffer, {
      endpoint: `${api.baseUrl}/api/v1/uploads`,
      headers: { authorization: api.authHeader },
      metadata,
      // A retry would hide a failure inside the timing; fail instead.
      retryDelays: null,
      storeFingerprintForResuming: false,
      onError: reject,
      onSuccess: () => resolve(),
    });
    upload.start();
  });
  return { chunkSize: upload?.options.chunkSize ?? Number.NaN, done };
}

/**
 * `curl -T`, as a script PUTs a file: a client that costs a fraction of a CPU second per GiB, so on
 * a small machine the figure is the server's. Resolves with curl's CPU seconds (from bash `times`).
 */
function curlPut(api: Api, url: string, file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const script = 'curl -sS --fail-with-body -o /dev/null -X PUT -H "authorization: $AUTH" -H "content-type: application/octet-stream" -T "$FILE" "$URL"; code=$?; times >&2; exit $code';
    const child = spawn("bash", ["-c", script], { env: { ...process.env, AUTH: api.authHeader, FILE: file, URL: url }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`curl PUT failed (${code}): ${stderr.slice(-2000)}`));
      // `times` prints the shell's user/sys, then its children's: "0m0.052s 0m0.561s".
      const children = stderr.trim().split("\n").at(-1) ?? "";
      const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0);
      resolve(seconds);
    });
  });
}

type Method = "tus" | "put";

/**
 * The client's own ceiling: the same client sending the same file to a server on loopback that
 * only counts the bytes (tus: answers the creation POST, then reads the PATCH). No server can
 * beat it on this machine; it says how much of the gap to cp is the client's.
 */
async function clientCeiling(method: Method, file: { path: string; size: number }): Promise<number> {
  const sink = http.createServer((req, res) => {
    if (req.method === "POST") {
      res.writeHead(201, { location: "/sink/upload", "tus-resumable": "1.0.0" }).end();
      return;
    }
    let bytes = 0;
    req.on("data", (chunk: Buffer) => (bytes += chunk.length));
    req.on("end", () => res.writeHead(req.method === "PATCH" ? 204 : 201, { "upload-offset": String(bytes), "tus-resumable": "1.0.0" }).end());
  });
  await new Promise<void>((resolve) => sink.listen(0, "127.0.0.1", resolve));
  const { port } = sink.address() as AddressInfo;
  const api = new Api(`http://127.0.0.1:${port}`, "none");
  try {
    await settleDisk();
    const sent = await timed(async () => {
      if (method === "put") await curlPut(api, `${api.baseUrl}/sink/file`, file.path);
      else await tusUpload(api, file.path, {}).done;
    });
    return mbPerSecond(file.size, sent.ms);
  } finally {
    sink.close();
  }
}

async function measureUpload(
  server: Server,
  api: Api,
  method: Method,
  file: { path: string; size: number; sha256: string },
  cp: { mbps: number; mbpsWithFsync: number },
  ceilingMbps: number,
): Promise<{ rows: Row[]; note?: string }> {
  const checkpointId = await api.createLocalCheckpoint(`bench-${method}`);
  const filePath = `model-${method}.bin`;
  await settleDisk();
  const sampler = new RssSampler(server);
  const serverCpuBefore = server.cpuSeconds();
  const clientCpuBefore = process.cpuUsage();
  sampler.start();
  let chunkSize = Number.NaN;
  let curlCpu = 0;
  const upload = await timed(async () => {
    if (method === "put") {
      curlCpu = await curlPut(api, `${api.baseUrl}/api/v1/checkpoints/${checkpointId}/files/${filePath}`, file.path);
      return;
    }
    const tus = tusUpload(api, file.path, { checkpointId, path: filePath });
    chunkSize = tus.chunkSize;
    return tus.done;
  });
  const rss = sampler.stop();
  const serverCpu = server.cpuSeconds() - serverCpuBefore;
  const clientCpuUsage = process.cpuUsage(clientCpuBefore);
  const clientCpu = method === "put" ? curlCpu : (clientCpuUsage.user + clientCpuUsage.system) / 1e6;
  const commit = await timed(() => api.commit(checkpointId));
  const stored = (await api.files(checkpointId)).find((entry) => entry.path === filePath);
  const intact = stored?.sha256 === file.sha256 && stored.size === file.size;

  const mbps = mbPerSecond(file.size, upload.ms);
  const ratio = mbps / cp.mbps;
  const durableRatio = mbps / cp.mbpsWithFsync;
  const clientRatio = mbps / ceilingMbps;
  const growthMb = rss.growth / MB;
  const name = `upload/${method}`;
  return {
    rows: [
      // The judged ratio: what this client reaches into a server that does nothing but count bytes.
      { benchmark: name, metric: "throughput vs client alone", value: `${fixed(mbps)} MB/s`, baseline: `into a byte counter ${fixed(ceilingMbps)} MB/s`, ratio: clientRatio, target: `≥ ${RATIO_TARGET}`, pass: clientRatio >= RATIO_TARGET },
      { benchmark: name, metric: "throughput vs cp+fsync", value: `${fixed(mbps)} MB/s`, baseline: `cp+fsync ${fixed(cp.mbpsWithFsync)} MB/s`, ratio: durableRatio },
      { benchmark: name, metric: "throughput vs cp (page cache)", value: `${fixed(mbps)} MB/s`, baseline: `cp ${fixed(cp.mbps)} MB/s`, ratio },
      { benchmark: name, metric: "server peak RSS growth", value: `${fixed(growthMb)} MB`, baseline: `idle ${fixed(rss.baseline / MB)} MB`, target: `< ${RSS_TARGET_MB} MB`, pass: growthMb < RSS_TARGET_MB },
      { benchmark: name, metric: "stored sha256 = local", value: intact ? "yes" : `no (${stored?.sha256 ?? "missing"})`, pass: intact },
      { benchmark: name, metric: "upload time / commit", value: `${fixed(upload.ms / 1000, 2)} s / ${fixed(commit.ms, 0)} ms` },
      { benchmark: name, metric: "CPU server / client", value: `${fixed(serverCpu, 2)} s / ${fixed(clientCpu, 2)} s` },
    ],
    note:
      method === "tus"
        ? `tus-js-client ${Number.isFinite(chunkSize) ? `chunkSize ${chunkSize}` : "default chunkSize (Infinity: the whole file in one PATCH)"}; its client CPU shares the machine's cores with the server`
        : "PUT through curl -T, as a script sends a file; client CPU is curl's",
  };
}

/** Loads the upload code paths once, so module loading does not count as upload memory. */
async function warmUp(api: Api, dir: string): Promise<void> {
  const file = path.join(dir, "warmup.bin");
  const size = 4 * 1024 * 1024;
  const sha256 = await writeRandomFile(file, size);
  const checkpointId = await api.createLocalCheckpoint("bench-warmup");
  await tusUpload(api, file, { checkpointId, path: "warmup-tus.bin" }).done;
  await api.putFile(checkpointId, "warmup-put.bin", file, size);
  await api.commit(checkpointId);
  const files = await api.files(checkpointId);
  if (!files.every((entry) => entry.sha256 === sha256)) throw new Error("warm-up upload stored the wrong bytes");
  await rm(file);
}

export const uploadBenchmark: Benchmark = {
  name: "upload",
  summary: "a 1 GiB file through tus and through PUT, against `cp` on the same disk; server peak RSS growth",
  async run(ctx) {
    const missing = await missingTools(["curl"], ctx.log);
    if (missing.length > 0) return { rows: [skippedRow("upload", "throughput vs client alone", missing)] };
    const size = bytesFromEnv("BENCH_UPLOAD_BYTES", GiB);
    const filesDir = path.join(ctx.workDir, "files");
    await mkdir(filesDir, { recursive: true });

    // Two different files: the blob store keeps one copy per content, so uploading the same
    // bytes twice would let the second upload skip its write entirely.
    ctx.log(`writing two ${fixed(size / MB, 0)} MB random files…`);
    const files = {} as Record<Method, { path: string; size: number; sha256: string }>;
    for (const method of ["tus", "put"] as const) {
      const file = path.join(filesDir, `${method}.bin`);
      files[method] = { path: file, size, sha256: await writeRandomFile(file, size) };
    }

    const server = await ctx.startServer(path.join(ctx.workDir, "data"));
    try {
      const { api } = await Api.signUp(server.url);
      await warmUp(api, filesDir);
      const rows: Row[] = [];
      const notes = [
        `file size ${size} bytes; MB = 10^6 bytes; source files were just written, so cp reads from a warm page cache (dropping it needs root); cp figures are the median of ${CP_RUNS} runs taken right before each upload`,
        "the target is judged against the same client (curl -T, tus-js-client) sending the same file into a loopback server that only counts bytes, measured right before: the most this client allows on this machine; cp and cp+fsync are reported beside it",
      ];
      for (const method of ["tus", "put"] as const) {
        // cp of the very file about to be uploaded, right before it: same disk, same load.
        ctx.log(`timing cp, then uploading through ${method}…`);
        const cp = await timeCp(files[method].path, path.join(filesDir, "cp-copy.bin"));
        const ceiling = await clientCeiling(method, files[method]);
        const result = await measureUpload(server, api, method, files[method], cp, ceiling);
        rows.push(...result.rows);
        if (result.note) notes.push(result.note);
        await rm(files[method].path);
      }
      return { rows, notes };
    } finally {
      await server.stop();
    }
  },
};
