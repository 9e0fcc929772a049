import { copyFileSync, chmodSync, mkdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTempDataDir } from "../helpers/api";
import { freePort, startCairnProcess, type CairnProcess } from "../helpers/cairn-process";
import { jobSandbox } from "../helpers/jobs";
import { RemoteCairn } from "../helpers/remote";
import { slurmAvailable, startSlurmCluster, type SlurmCluster } from "../helpers/slurm-cluster";

const PYTHON = "/usr/bin/python3";

/**
 * A real training loop (Debian's python3-torch): one job trains and torch.saves step-3, the
 * next continues from the captured checkpoint, checking its step and weights — on the local
 * runner and on a real Slurm cluster, each behind a Cairn server in a process of its own.
 */
describe("a torch training loop continued from its captured checkpoint", () => {
  let cluster: SlurmCluster;
  let data: ReturnType<typeof useTempDataDir>;
  let script: string;
  const servers: CairnProcess[] = [];

  beforeAll(async () => {
    const missing = slurmAvailable();
    if (missing) throw new Error(missing);
    cluster = await startSlurmCluster({ gpus: 1 });
    data = useTempDataDir();
    const sandbox = jobSandbox(data.dir);
    script = path.join(sandbox.dir, "train.py");
    copyFileSync(path.join(import.meta.dirname, "../fixtures/train.py"), script);
    chmodSync(script, 0o644);
  });
  afterAll(async () => {
    for (const server of servers) await server.kill("SIGTERM");
    await cluster?.stop();
    data?.cleanup();
  });

  async function cairnWith(runner: "local" | "slurm"): Promise<RemoteCairn> {
    const port = await freePort();
    const dataDir = path.join(data.dir, runner);
    mkdirSync(dataDir, { recursive: true, mode: 0o755 });
    const server = await startCairnProcess(port, {
      ...(runner === "slurm" ? { ...cluster.env, CAIRN_SLURM_WORK_DIR: path.join(dataDir, "slurm-jobs") } : {}),
      CAIRN_DATA_DIR: dataDir,
      CAIRN_JOB_RUNNER: runner,
      CAIRN_AGENT_SERVER_URL: `http://127.0.0.1:${port}`,
      CAIRN_CAPTURE_QUIET_SECONDS: "1",
      CAIRN_WORKERS: "0",
    });
    servers.push(server);
    return RemoteCairn.signUp(server.url, `torch-${runner}`);
  }

  it.each(["local", "slurm"] as const)("on the %s runner", async (runner) => {
    const user = await cairnWith(runner);
    const first = await user.launch({ name: "train-1", type: "training", command: [PYTHON, script, "train"] });
    const trained = await user.finished(first.id, 120_000);
    const firstLog = await user.logText(first.id);
    expect(trained.status, firstLog).toBe("succeeded");
    expect(trained.runner).toBe(runner);
    expect(trained.captures.map((c) => [c.path, c.name, c.step, c.status])).toEqual([["step-3", "train-1-step-3", 3, "ready"]]);
    const saved = /stdout: saved step=3 weights=([0-9a-f]{64})/.exec(firstLog)?.[1];
    expect(saved).toBeDefined();

    const second = await user.launch({
      name: "train-2",
      type: "training",
      command: [PYTHON, script, "continue"],
      checkpoints: [{ ref: "train-1-step-3" }],
      env: { EXPECTED_STEP: "3", EXPECTED_WEIGHTS: saved ?? "" },
    });
    const continued = await user.finished(second.id, 120_000);
    const secondLog = await user.logText(second.id);
    expect(continued.status, secondLog).toBe("succeeded");
    expect(secondLog).toContain(`stdout: resumed step=3 weights=${saved}`);
    expect(secondLog).toMatch(/stdout: step 6 loss \d/);
    expect(continued.captures.map((c) => [c.name, c.step, c.status])).toEqual([["train-2-step-6", 6, "ready"]]);
  }, 180_000);
});
