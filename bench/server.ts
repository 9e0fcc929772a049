import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export type Server = {
  url: string;
  pid: number;
  /** Resident memory of the server's process tree, in bytes. */
  rss(): number;
  /** CPU time (user + system, all threads) the server's process tree has used, in seconds. */
  cpuSeconds(): number;
  stop(): Promise<void>;
};

const running = new Set<ChildProcess>();

function nextBin(root: string): string {
  return path.join(root, "node_modules", "next", "dist", "bin", "next");
}

// Same rule as scripts/start.mjs: rebuild when there is no build or a source is newer than it.
const sourceEntries = ["app", "components", "lib", "drizzle", "public", "package.json", "next.config.ts", "tsconfig.json", "postcss.config.mjs", "instrumentation.ts"];

function newestMtime(target: string): number {
  if (!existsSync(target)) return 0;
  const stats = statSync(target);
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(target)) newest = Math.max(newest, newestMtime(path.join(target, entry)));
  return newest;
}

/**
 * The bench's own build directory (next.config.ts reads `CAIRN_NEXT_DIST_DIR`): an engineer's
 * `next build` or an e2e run rebuilding `.next` cannot pull the build out from under a server
 * being measured.
 */
const DIST_DIR = ".next-bench";

function buildIsCurrent(root: string): boolean {
  const buildId = path.join(root, DIST_DIR, "BUILD_ID");
  if (!existsSync(buildId)) return false;
  const built = statSync(buildId).mtimeMs;
  return sourceEntries.every((entry) => newestMtime(path.join(root, entry)) <= built);
}

/**
 * Builds the app into `DIST_DIR` when that build is missing or stale. A failed build falls back to
 * the previous one, loudly, so a half-edited page elsewhere does not block the benchmark.
 */
export async function ensureBuild(root: string, log: (message: string) => void): Promise<void> {
  if (process.env.BENCH_SKIP_BUILD === "1" && existsSync(path.join(root, DIST_DIR, "BUILD_ID"))) return;
  if (buildIsCurrent(root)) return;
  log(`building the app into ${DIST_DIR} (no build, or sources changed since the last one)…`);
  const build = spawnSync(process.execPath, [nextBin(root), "build"], {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, CAIRN_NEXT_DIST_DIR: DIST_DIR },
  });
  if (build.status === 0) return;
  if (!existsSync(path.join(root, DIST_DIR, "BUILD_ID"))) throw new Error("`next build` failed and there is no previous build");
  log("WARNING: `next build` failed; benchmarking the previous build, which may not match the sources");
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Embedded defaults: no Postgres, no S3, no limits from the caller's shell. */
function embeddedEnv(dataDir: string, port: number, extra: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(
    ([key]) => !key.startsWith("CAIRN_") && key !== "DATABASE_URL" && !key.startsWith("AWS_"),
  );
  return { ...Object.fromEntries(inherited), ...extra, NODE_ENV: "production", CAIRN_DATA_DIR: dataDir, CAIRN_NEXT_DIST_DIR: DIST_DIR, PORT: String(port) };
}

function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may hold spaces and parentheses; the fields after its last ')' do not.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[1]);
  } catch {
    return null;
  }
}

/** The pid and every descendant: `next start` serves in-process today, but may fork workers. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const child = Number(entry);
    const parent = parentOf(child);
    if (parent !== null) children.set(parent, [...(children.get(parent) ?? []), child]);
  }
  const tree: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift() as number;
    tree.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return tree;
}

function rssOf(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

const CLOCK_TICKS_PER_SECOND = 100;

function cpuOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of stat; fields[0] here is field 3.
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {}
}

/**
 * Starts `next start` in its own process group and waits until `/api/health` answers. `env` adds
 * settings on top of the embedded defaults (e.g. CAIRN_ALLOW_PRIVATE_SOURCES for loopback peers).
 */
export async function startServer(root: string, dataDir: string, log: (message: string) => void, env: Record<string, string> = {}): Promise<Server> {
  const port = await freePort();
  // e.g. BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the server
  // (Node refuses --cpu-prof in NODE_OPTIONS).
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, nextBin(root), "start", "-p", String(port), "-H", "127.0.0.1"], {
    cwd: root,
    env: embeddedEnv(dataDir, port, env),
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  exited.then(() => running.delete(child));

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the server exited before it was healthy:\n${output}`);
    }
    const healthy = await fetch(`${url}/api/health`).then((r) => r.ok, () => false);
    if (healthy) break;
    if (Date.now() > deadline) {
      killGroup(child, "SIGKILL");
      throw new Error(`the server did not answer /api/health within 90 s:\n${output}`);
    }
    await sleep(200);
  }
  const pid = child.pid as number;
  log(`server up at ${url} (pid ${pid}, data ${dataDir})`);
  // Scanning all of /proc costs the measuring process real CPU, so the tree is re-read at most
  // every two seconds; in between only the known members are sampled.
  let tree = processTree(pid);
  let treeReadAt = Date.now();
  const members = () => {
    if (Date.now() - treeReadAt > 2000) {
      tree = processTree(pid);
      treeReadAt = Date.now();
    }
    return tree;
  };
  return {
    url,
    pid,
    rss: () => members().reduce((sum, member) => sum + rssOf(member), 0),
    cpuSeconds: () => members().reduce((sum, member) => sum + cpuOf(member), 0),
    async stop() {
      killGroup(child, "SIGTERM");
      const stopped = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
      if (!stopped) {
        killGroup(child, "SIGKILL");
        await exited;
      }
    },
  };
}

/** For signal and crash handlers: kills every server this run started, synchronously. */
export function killAllServers(): void {
  for (const child of running) killGroup(child, "SIGKILL");
}

/** Samples the server's RSS every 100 ms between `start` and `stop`. */
export class RssSampler {
  private baseline = 0;
  private peak = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly server: Server) {}

  start(): void {
    this.baseline = this.server.rss();
    this.peak = this.baseline;
    this.timer = setInterval(() => {
      this.peak = Math.max(this.peak, this.server.rss());
    }, 100);
  }

  /** Baseline before the work, the peak seen during it, and the growth between them (bytes). */
  stop(): { baseline: number; peak: number; growth: number } {
    clearInterval(this.timer);
    this.peak = Math.max(this.peak, this.server.rss());
    return { baseline: this.baseline, peak: this.peak, growth: this.peak - this.baseline };
  }
}
