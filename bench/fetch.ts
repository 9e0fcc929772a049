import { spawn } from "node:child_process";
import { createHash, randomFillSync } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, rm, stat } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { Api } from "./api";
import { fixed, mbPerSecond, timed, type Benchmark, type Row } from "./harness";

const GiB = 1024 ** 3;
const RATIO_TARGET = 0.8;
const RUNS = 5;

function fetchBytes(): number {
  const raw = process.env.BENCH_FETCH_BYTES;
  return raw ? Math.max(1, Math.floor(Number(raw))) : GiB;
}

async function writeRandomFile(file: string, bytes: number): Promise<string> {
  const hash = createHash("sha256");
  const block = Buffer.alloc(4 * 1024 * 1024);
  const handle = await open(file, "w");
  try {
    for (let written = 0; written < bytes; ) {
      const chunk = block.subarray(0, Math.min(block.length, bytes - written));
      randomFillSync(chunk);
      hash.update(chunk);
      await handle.write(chunk);
      written += chunk.length;
    }
  } finally {
    await handle.close();
  }
  return hash.digest("hex");
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

async function putFile(api: Api, checkpointId: string, file: string, filePath: string, size: number): Promise<void> {
  const request = http.request(`${api.baseUrl}/api/v1/checkpoints/${checkpointId}/files/${filePath}`, {
    method: "PUT",
    headers: { authorization: api.authHeader, "content-type": "application/octet-stream", "content-length": String(size) },
  });
  const response = new Promise<http.IncomingMessage>((resolve, reject) => {
    request.once("response", resolve);
    request.once("error", reject);
  });
  await pipeline(createReadStream(file, { highWaterMark: 1024 * 1024 }), request);
  const answer = await response;
  answer.resume();
  if ((answer.statusCode ?? 0) >= 300) throw new Error(`PUT ${filePath} failed: ${answer.statusCode}`);
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    let stderr = "";
    const child = spawn(command, args, { env, stdio: ["ignore", "ignore", "pipe"] });
    child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}: ${stderr}`))));
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export const fetchBenchmark: Benchmark = {
  name: "fetch",
  summary: "`cairn checkpoint fetch` of a 1 GiB checkpoint file against `curl -o` of the same file URL",
  async run(ctx) {
    const size = fetchBytes();
    const source = path.join(ctx.workDir, "model.bin");
    ctx.log(`writing a ${fixed(size / 1e6, 0)} MB random file…`);
    const sha256 = await writeRandomFile(source, size);
    const server = await ctx.startServer(path.join(ctx.workDir, "data"));
    try {
      const { api } = await Api.signUp(server.url);
      const checkpointId = await api.createLocalCheckpoint("bench-fetch");
      await putFile(api, checkpointId, source, "model.bin", size);
      await api.commit(checkpointId);
      await rm(source);

      const url = `${server.url}/api/v1/checkpoints/${checkpointId}/files/model.bin`;
      const out = path.join(ctx.workDir, "out");
      const env = { ...process.env, CAIRN_SERVER: server.url, CAIRN_TOKEN: api.token, XDG_CONFIG_HOME: path.join(ctx.workDir, "config") };
      const cairnBin = path.join(ctx.root, "bin", "cairn.mjs");
      const curlMs: number[] = [];
      const cairnMs: number[] = [];
      let intact = true;
      // Alternating runs, after one untimed warm-up of each, so both read a warm blob.
      for (let i = 0; i <= RUNS; i++) {
        await rm(out, { recursive: true, force: true });
        await mkdir(out, { recursive: true });
        const curl = await timed(() => run("curl", ["-sS", "-f", "-o", path.join(out, "curl.bin"), "-H", `authorization: ${api.authHeader}`, url], process.env));
        const cairn = await timed(() => run(process.execPath, [cairnBin, "checkpoint", "fetch", checkpointId, "-d", path.join(out, "cairn")], env));
        const fetched = path.join(out, "cairn", "model.bin");
        intact &&= (await stat(fetched)).size === size && (await sha256Of(fetched)) === sha256;
        if (i === 0) continue;
        curlMs.push(curl.ms);
        cairnMs.push(cairn.ms);
        ctx.log(`run ${i}: curl ${fixed(curl.ms / 1000, 2)} s, cairn ${fixed(cairn.ms / 1000, 2)} s`);
      }
      await rm(out, { recursive: true, force: true });
      const curlMbps = mbPerSecond(size, median(curlMs));
      const cairnMbps = mbPerSecond(size, median(cairnMs));
      // Each pair ran back to back under the same load; the median of their ratios is steadier
      // than a ratio of medians when other work on the machine comes and goes.
      const ratio = median(curlMs.map((ms, i) => ms / cairnMs[i]));
      const rows: Row[] = [
        { benchmark: "fetch", metric: "throughput", value: `${fixed(cairnMbps)} MB/s`, baseline: `curl ${fixed(curlMbps)} MB/s`, ratio, target: `≥ ${RATIO_TARGET}`, pass: ratio >= RATIO_TARGET },
        { benchmark: "fetch", metric: "fetched sha256 = uploaded", value: intact ? "yes" : "no", pass: intact },
      ];
      return {
        rows,
        notes: [
          `file size ${size} bytes; ${RUNS} back-to-back curl/cairn pairs after a warm-up; throughputs are medians, the ratio is the median of the pairs' ratios (${curlMs.map((ms, i) => fixed(ms / cairnMs[i], 2)).join(", ")})`,
          "cairn's time includes its start-up (tsx), the checkpoint lookup and SHA-256 verification while writing; curl's includes none of these",
        ],
      };
    } finally {
      await server.stop();
    }
  },
};
