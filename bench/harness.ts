import { spawn } from "node:child_process";
import { open } from "node:fs/promises";
import type { Server } from "./server";

/** One line of the report. `pass` undefined means the figure is reported without a target. */
export type Row = {
  benchmark: string;
  metric: string;
  value: string;
  baseline?: string;
  ratio?: number;
  target?: string;
  pass?: boolean;
};

export type BenchContext = {
  /** The repository root; the server runs from here. */
  root: string;
  /** A fresh directory for this benchmark, on the same filesystem as the server's data. */
  workDir: string;
  log(message: string): void;
  /** Starts `next start` on a free port with `CAIRN_DATA_DIR=dataDir`, embedded defaults, plus `env`. */
  startServer(dataDir: string, env?: Record<string, string>): Promise<Server>;
};

/** A named benchmark; `bench/run.ts` runs all of them or the ones named on the command line. */
export type Benchmark = {
  name: string;
  summary: string;
  /** Rows for the table, plus notes printed under it (how a figure was measured). */
  run(ctx: BenchContext): Promise<{ rows: Row[]; notes?: string[] }>;
};

export const MB = 1_000_000;
export const GiB = 1024 ** 3;

/**
 * A byte count from the environment variable `name` (so a quick run can use small files), at
 * least `min`; `fallback` when it is unset.
 */
export function bytesFromEnv(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  return raw ? Math.max(min, Math.floor(Number(raw))) : fallback;
}

export function mbPerSecond(bytes: number, ms: number): number {
  return bytes / MB / (ms / 1000);
}

/** Nearest-rank percentile of the samples. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const start = performance.now();
  const result = await work();
  return { result, ms: performance.now() - start };
}

export function fixed(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "n/a";
}

function verdict(row: Row): string {
  if (row.pass === undefined) return "—";
  return row.pass ? "PASS" : "FAIL";
}

/** The report table: one line per row, columns padded to their widest cell. */
export function formatTable(rows: Row[]): string {
  const header = ["benchmark", "metric", "value", "baseline", "ratio", "target", "result"];
  const cells = rows.map((row) => [
    row.benchmark,
    row.metric,
    row.value,
    row.baseline ?? "",
    row.ratio === undefined ? "" : fixed(row.ratio, 2),
    row.target ?? "",
    verdict(row),
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...cells.map((line) => line[i].length)));
  const render = (line: string[]) => line.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd();
  return [render(header), render(widths.map((w) => "-".repeat(w))), ...cells.map(render)].join("\n");
}


/** Flushes an already written file (what `cp` leaves in the page cache) to the disk. */
export async function fsyncFile(file: string): Promise<void> {
  const handle = await open(file, "r+");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}


/**
 * Writes every dirty page of the machine to disk (`sync`), so a measurement does not pay for the
 * writeback of files an earlier step wrote: each reference run and each Cairn run starts clean.
 */
export function settleDisk(): Promise<void> {
  return runCommand("sync", []);
}

/**
 * Runs a command to completion; rejects with the tail of its stderr when it fails. Its stdout is
 * discarded: no benchmark needs it.
 */
export function runCommand(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString("utf8")).slice(-4000);
    });
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(" ")} exited with ${code}: ${stderr}`))));
  });
}

/**
 * The work a verified download does, in C tools: curl writes the bytes to `out` through tee while
 * OpenSSL hashes them (with the CPU's SHA instructions, as Node's crypto does; coreutils'
 * sha256sum here does not), then `sync` puts them on disk as Cairn's fsync does.
 */
export function curlTeeSha256(url: string, out: string, headers: string[] = []): Promise<void> {
  const script = 'set -o pipefail; curl -sSf "$@" "$CAIRN_BENCH_URL" | tee "$CAIRN_BENCH_OUT" | openssl dgst -sha256 > /dev/null && sync';
  const args = headers.flatMap((header) => ["-H", header]);
  return runCommand("bash", ["-c", script, "bash", ...args], { env: { ...process.env, CAIRN_BENCH_URL: url, CAIRN_BENCH_OUT: out } });
}

/** Whether a command is on the PATH. */
export async function haveCommand(name: string): Promise<boolean> {
  return runCommand("sh", ["-c", `command -v "${name}"`]).then(
    () => true,
    () => false,
  );
}

/**
 * The reference tools a benchmark needs: each missing one is installed from Debian's packages
 * when this runs as root (`apt-get install -y`), and named when it still is not there, so the
 * caller skips only the rows that need it.
 */
export async function missingTools(names: string[], log: (message: string) => void): Promise<string[]> {
  const missing: string[] = [];
  for (const name of names) if (!(await haveCommand(name))) missing.push(name);
  if (missing.length > 0 && process.getuid?.() === 0) {
    log(`installing ${missing.join(", ")} for the reference runs (apt-get install -y)…`);
    await runCommand("apt-get", ["install", "-y", ...missing], { env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } }).catch((error: Error) =>
      log(`could not install ${missing.join(", ")}: ${error.message.split("\n")[0]}`),
    );
  }
  const still: string[] = [];
  for (const name of missing) if (!(await haveCommand(name))) still.push(name);
  return still;
}

/** The row that stands in for one a missing reference tool could not measure. */
export function skippedRow(benchmark: string, metric: string, tools: string[]): Row {
  return { benchmark, metric, value: `skipped: ${tools.join(" and ")} not installed (apt-get install -y ${tools.join(" ")})` };
}

export { sha256File, sha256Of, writeRandomFile } from "../tests/helpers/files";
