import { mkdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import { Api } from "./api";
import { bytesFromEnv, curlTeeSha256, fixed, GiB, mbPerSecond, missingTools, runCommand, settleDisk, sha256File, skippedRow, timed, writeRandomFile, type Benchmark, type Row } from "./harness";

/** Judged against the same work in C tools: curl | tee | openssl sha256, then sync. */
const RATIO_TARGET = 0.9;
const RUNS = 5;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export const fetchBenchmark: Benchmark = {
  name: "fetch",
  summary: "`cairn checkpoint fetch` of a 1 GiB checkpoint file against `curl | tee | openssl dgst -sha256; sync` (judged) and `curl -o` of the same URL",
  async run(ctx) {
    const missing = await missingTools(["curl", "openssl"], ctx.log);
    if (missing.length > 0) return { rows: [skippedRow("fetch", "throughput", missing)] };
    const size = bytesFromEnv("BENCH_FETCH_BYTES", GiB);
    const source = path.join(ctx.workDir, "model.bin");
    ctx.log(`writing a ${fixed(size / 1e6, 0)} MB random file…`);
    const sha256 = await writeRandomFile(source, size);
    const server = await ctx.startServer(path.join(ctx.workDir, "data"));
    try {
      const { api } = await Api.signUp(server.url);
      const checkpointId = await api.createLocalCheckpoint("bench-fetch");
      await api.putFile(checkpointId, "model.bin", source, size);
      await api.commit(checkpointId);
      await rm(source);

      const url = `${server.url}/api/v1/checkpoints/${checkpointId}/files/model.bin`;
      const out = path.join(ctx.workDir, "out");
      const env = { ...process.env, CAIRN_SERVER: server.url, CAIRN_TOKEN: api.token, XDG_CONFIG_HOME: path.join(ctx.workDir, "config") };
      const cairnBin = path.join(ctx.root, "bin", "cairn.mjs");
      const curlMs: number[] = [];
      const pipelineMs: number[] = [];
      const cairnMs: number[] = [];
      let intact = true;
      // Alternating runs, after one untimed warm-up of each, so both read a warm blob.
      for (let i = 0; i <= RUNS; i++) {
        await rm(out, { recursive: true, force: true });
        await mkdir(out, { recursive: true });
        // Each after a sync, so neither pays for the writeback of what the other wrote.
        await settleDisk();
        const curl = await timed(() => runCommand("curl", ["-sS", "-f", "-o", path.join(out, "curl.bin"), "-H", `authorization: ${api.authHeader}`, url]));
        await rm(path.join(out, "curl.bin"));
        await settleDisk();
        const pipeline = await timed(() => curlTeeSha256(url, path.join(out, "pipeline.bin"), [`authorization: ${api.authHeader}`]));
        await rm(path.join(out, "pipeline.bin"));
        await settleDisk();
        const cairn = await timed(() => runCommand(process.execPath, [cairnBin, "checkpoint", "fetch", checkpointId, "-d", path.join(out, "cairn")], { env }));
        const fetched = path.join(out, "cairn", "model.bin");
        intact &&= (await stat(fetched)).size === size && (await sha256File(fetched)) === sha256;
        if (i === 0) continue;
        curlMs.push(curl.ms);
        pipelineMs.push(pipeline.ms);
        cairnMs.push(cairn.ms);
        ctx.log(`run ${i}: curl ${fixed(curl.ms / 1000, 2)} s, curl|tee|openssl+sync ${fixed(pipeline.ms / 1000, 2)} s, cairn ${fixed(cairn.ms / 1000, 2)} s`);
      }
      await rm(out, { recursive: true, force: true });
      const curlMbps = mbPerSecond(size, median(curlMs));
      const cairnMbps = mbPerSecond(size, median(cairnMs));
      // Each pair ran back to back under the same load; the median of their ratios is steadier
      // than a ratio of medians when other work on the machine comes and goes.
      const ratio = median(pipelineMs.map((ms, i) => ms / cairnMs[i]));
      const curlRatio = median(curlMs.map((ms, i) => ms / cairnMs[i]));
      const pipelineMbps = mbPerSecond(size, median(pipelineMs));
      const rows: Row[] = [
        { benchmark: "fetch", metric: "throughput vs same work", value: `${fixed(cairnMbps)} MB/s`, baseline: `curl|tee|openssl+sync ${fixed(pipelineMbps)} MB/s`, ratio, target: `≥ ${RATIO_TARGET}`, pass: ratio >= RATIO_TARGET },
        { benchmark: "fetch", metric: "throughput vs plain curl", value: `${fixed(cairnMbps)} MB/s`, baseline: `curl -o ${fixed(curlMbps)} MB/s`, ratio: curlRatio },
        { benchmark: "fetch", metric: "fetched sha256 = uploaded", value: intact ? "yes" : "no", pass: intact },
      ];
      return {
        rows,
        notes: [
          `file size ${size} bytes; ${RUNS} back-to-back curl / pipeline / cairn runs after a warm-up; throughputs are medians, each ratio is the median of the runs' ratios (same work: ${pipelineMs.map((ms, i) => fixed(ms / cairnMs[i], 2)).join(", ")})`,
          "the judged reference does what cairn does: download, write, SHA-256 (OpenSSL) and flush to disk (sync); cairn's time also includes its start-up and the checkpoint lookup, plain curl's includes no hashing or flush",
        ],
      };
    } finally {
      await server.stop();
    }
  },
};
