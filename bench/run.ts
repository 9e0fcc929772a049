// `npm run bench [-- name…]`: runs every benchmark, or the named ones, against a real
// `next start` on embedded defaults, and prints one table. Missed targets are reported, not
// fatal; the exit code is non-zero only when a benchmark could not run.
import { rmSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { formatTable, type BenchContext, type Benchmark, type Row } from "./harness";
import { exportBenchmark } from "./export";
import { ingestBenchmark } from "./ingest";
import { listBenchmark } from "./list";
import { ensureBuild, killAllServers, startServer } from "./server";
import { uploadBenchmark } from "./upload";
import { fetchBenchmark } from "./fetch";
import { jobsBenchmark } from "./jobs";
import { factsBenchmark } from "./facts";
import { storageBenchmark } from "./storage";
import { cliBenchmark } from "./cli";
import { idleBenchmark } from "./idle";

const benchmarks: Benchmark[] = [uploadBenchmark, ingestBenchmark, listBenchmark, exportBenchmark, fetchBenchmark, jobsBenchmark, factsBenchmark, storageBenchmark, cliBenchmark, idleBenchmark];

const root = path.resolve(import.meta.dirname, "..");
// Under the repository (gitignored) so cp's files and the server's data share one filesystem.
const runDir = path.join(root, ".test-data", "bench", `run-${process.pid}-${Date.now()}`);

function log(message: string): void {
  console.log(`bench: ${message}`);
}

function cleanUp(): void {
  killAllServers();
  rmSync(runDir, { recursive: true, force: true });
}

function selected(names: string[]): Benchmark[] {
  if (names.length === 0) return benchmarks;
  const unknown = names.filter((name) => !benchmarks.some((b) => b.name === name));
  if (unknown.length > 0) {
    console.error(`bench: unknown benchmark ${unknown.join(", ")}; known: ${benchmarks.map((b) => b.name).join(", ")}`);
    process.exit(2);
  }
  return benchmarks.filter((b) => names.includes(b.name));
}

async function main(): Promise<number> {
  const chosen = selected(process.argv.slice(2).filter((arg) => !arg.startsWith("-")));
  process.chdir(root);
  await ensureBuild(root, log);

  const rows: Row[] = [];
  const notes: string[] = [];
  const loadAtStart = os.loadavg()[0];
  let crashed = 0;
  for (const benchmark of chosen) {
    const workDir = path.join(runDir, benchmark.name);
    await mkdir(workDir, { recursive: true });
    const ctx: BenchContext = {
      root,
      workDir,
      log: (message) => log(`[${benchmark.name}] ${message}`),
      startServer: (dataDir, env) => startServer(root, dataDir, ctx.log, env),
    };
    log(`${benchmark.name}: ${benchmark.summary}`);
    const started = performance.now();
    try {
      const result = await benchmark.run(ctx);
      rows.push(...result.rows);
      notes.push(...(result.notes ?? []).map((note) => `${benchmark.name}: ${note}`));
    } catch (error) {
      crashed += 1;
      console.error(`bench: ${benchmark.name} could not run:`, error);
      rows.push({ benchmark: benchmark.name, metric: "run", value: "error (see above)", pass: false });
    } finally {
      killAllServers();
      rmSync(workDir, { recursive: true, force: true });
    }
    log(`${benchmark.name} took ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }

  console.log(`\n${formatTable(rows)}\n`);
  for (const note of notes) console.log(`note — ${note}`);
  // Other work on the machine moves every figure; this says how busy it was.
  console.log(`note — machine: ${os.cpus().length} CPUs, 1-min load average ${loadAtStart.toFixed(2)} at start, ${os.loadavg()[0].toFixed(2)} at end`);
  const judged = rows.filter((row) => row.pass !== undefined);
  const missed = judged.filter((row) => !row.pass);
  const summary = missed.length === 0
    ? `all ${judged.length} targets met`
    : `${missed.length} of ${judged.length} targets missed: ${missed.map((row) => `${row.benchmark} ${row.metric}`).join("; ")}`;
  console.log(`\nbench summary: ${summary}`);
  return crashed > 0 ? 1 : 0;
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    cleanUp();
    process.exit(130);
  });
}

main().then(
  (code) => {
    cleanUp();
    process.exit(code);
  },
  (error: unknown) => {
    console.error("bench:", error);
    cleanUp();
    process.exit(1);
  },
);
