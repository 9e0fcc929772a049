// The Playwright webServer for a Cairn on the Slurm runner (run it with `node --import tsx`, so it
// can import the TypeScript test helper): boots a real one-node Slurm cluster, waits for the build
// the first webServer makes, serves that build with `next start` against the cluster, and stops
// the cluster when the server exits or this process is told to stop (SIGTERM, SIGINT).
//
// Env: CAIRN_DATA_DIR (wiped first), E2E_SLURM_PORT (3101), E2E_SLURM_GPUS (1),
// E2E_BUILD_AFTER (ms since the epoch: the build to wait for is newer than this),
// E2E_BUILD_READY_URL (answers once that build is complete: the first server's health URL).
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { startSlurmCluster } from "../tests/helpers/slurm-cluster.ts";

const root = path.resolve(import.meta.dirname, "..");
const port = process.env.E2E_SLURM_PORT || "3101";
const dataDir = path.resolve(root, process.env.CAIRN_DATA_DIR || ".test-data/e2e-slurm");
const buildId = path.join(root, ".next", "BUILD_ID");
const buildAfter = Number(process.env.E2E_BUILD_AFTER || Date.now());
const readyUrl = process.env.E2E_BUILD_READY_URL;
const log = (message) => console.log(`[e2e-slurm] ${message}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let stopping = false;
let cluster = null;
let server = null;

async function shutDown(code) {
  if (stopping) return;
  stopping = true;
  if (server && server.exitCode === null && server.signalCode === null) {
    server.kill("SIGTERM");
    await new Promise((resolve) => {
      const timer = setTimeout(() => {
        server.kill("SIGKILL");
        resolve();
      }, 10_000);
      server.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  if (cluster) {
    log("stopping the Slurm cluster");
    await cluster.stop().catch((error) => console.error(`[e2e-slurm] stopping the cluster failed: ${error.message}`));
  }
  process.exit(code);
}
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => void shutDown(0));

/** The shared `.next` build: newer than this run, and complete (BUILD_ID is written before prerendering ends). */
async function waitForBuild() {
  const deadline = Date.now() + 600_000;
  const fresh = () => existsSync(buildId) && statSync(buildId).mtimeMs >= buildAfter;
  while (!fresh()) {
    if (Date.now() > deadline) throw new Error(`no build newer than ${new Date(buildAfter).toISOString()} appeared in .next`);
    await sleep(500);
  }
  if (!readyUrl) return;
  for (;;) {
    try {
      if ((await fetch(readyUrl)).ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`${readyUrl} did not answer`);
    await sleep(500);
  }
}

async function main() {
  rmSync(dataDir, { recursive: true, force: true });
  // A server running as root runs jobs as nobody, which must reach the job directories.
  const workDir = path.join(dataDir, "slurm-jobs");
  mkdirSync(workDir, { recursive: true });
  chmodSync(dataDir, 0o755);

  log("booting a one-node Slurm cluster");
  cluster = await startSlurmCluster({ gpus: Number(process.env.E2E_SLURM_GPUS || 1) });
  if (stopping) return;
  log(`cluster up: SLURM_CONF=${cluster.env.SLURM_CONF}, partition ${cluster.partition}`);

  await waitForBuild();
  if (stopping) return;
  const nextBin = path.join(root, "node_modules", "next", "dist", "bin", "next");
  server = spawn(process.execPath, [nextBin, "start", "-p", port, "-H", "127.0.0.1"], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, ...cluster.env, CAIRN_DATA_DIR: dataDir, CAIRN_SLURM_WORK_DIR: workDir, CAIRN_JOB_RUNNER: "slurm" },
  });
  server.once("exit", (code, signal) => {
    log(`next start exited (${signal ?? code})`);
    void shutDown(code ?? (signal ? 1 : 0));
  });
}

main().catch((error) => {
  console.error(`[e2e-slurm] ${error.stack ?? error.message}`);
  void shutDown(1);
});
