import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTempDataDir } from "../helpers/api";
import { freePort, startCairnProcess, type CairnProcess } from "../helpers/cairn-process";
import { eventually, jobSandbox } from "../helpers/jobs";
import { RemoteCairn } from "../helpers/remote";

/** The agent processes (node) under a local job's restart loop. */
function agentPids(loopPid: number): number[] {
  try {
    return execFileSync("pgrep", ["-P", String(loopPid)], { encoding: "utf8" }).split("\n").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Faults a job must survive, against a Cairn server in a process of its own on the embedded
 * database: the server SIGKILLed and down for 30 s while a job logs and captures, and the job's
 * agent SIGKILLed in the middle of a capture.
 */
describe("jobs through faults (local runner, server in its own process)", () => {
  let data: ReturnType<typeof useTempDataDir>;
  let sandbox: ReturnType<typeof jobSandbox>;
  let port: number;
  let cairn: CairnProcess;
  let env: Record<string, string>;

  beforeAll(async () => {
    data = useTempDataDir();
    sandbox = jobSandbox(data.dir);
    port = await freePort();
    env = {
      CAIRN_DATA_DIR: data.dir,
      CAIRN_JOB_RUNNER: "local",
      CAIRN_AGENT_SERVER_URL: `http://127.0.0.1:${port}`,
      CAIRN_AGENT_HEARTBEAT_SECONDS: "0.5",
      CAIRN_CAPTURE_QUIET_SECONDS: "1",
      CAIRN_WORKERS: "0",
    };
    delete process.env.DATABASE_URL;
    cairn = await startCairnProcess(port, env);
  });
  afterAll(async () => {
    await cairn?.kill("SIGTERM");
    data.cleanup();
  });

  it("keeps a job running, its lines and its captures, while the server is killed and down for 30 s", async () => {
    const user = await RemoteCairn.signUp(cairn.url, "restart");
    const seed = randomBytes(100_000);
    await user.readyCheckpoint("seed", { "w.bin": seed });
    const release1 = sandbox.release("restart-1");
    const release2 = sandbox.release("restart-2");
    const job = await user.launch({
      name: "survivor",
      type: "training",
      command: [process.execPath, sandbox.script, "produce"],
      checkpoints: [{ ref: "seed" }],
      env: { RELEASE_1: release1, RELEASE_2: release2 },
    });
    await eventually("step-100 to be captured", async () => (await user.job(job.id)).captures.some((c) => c.path === "step-100" && c.status === "ready"));

    await cairn.kill("SIGKILL");
    // While nobody listens, the job writes step-200 and metrics.json and prints about it.
    writeFileSync(release1, "go");
    await sleep(30_000);
    cairn = await startCairnProcess(port, env);

    const after = await eventually("step-200 and metrics.json to be captured after the restart", async () => {
      const current = await user.job(job.id);
      const ready = current.captures.filter((c) => c.status === "ready").map((c) => c.path);
      return ready.includes("step-200") && ready.includes("metrics.json") ? current : null;
    });
    expect(after.status).toBe("running");
    writeFileSync(release2, "go");
    const done = await user.finished(job.id);
    expect(done.status).toBe("succeeded");
    expect(done.captures.map((c) => [c.path, c.name, c.status])).toEqual([
      ["step-100", "survivor-step-100", "ready"],
      ["step-200", "survivor-step-200", "ready"],
      ["metrics.json", "survivor-metrics.json", "ready"],
    ]);
    const stdout = (await user.logText(job.id)).split("\n").filter((l) => l.startsWith("stdout: "));
    // Every line once, in order: the ones printed while the server was down came after it.
    expect(stdout).toEqual(["stdout: wrote step-100", "stdout: wrote step-200 and metrics.json", "stdout: done"]);
    await eventually("the job's directory to be removed once every capture is ready", async () => !existsSync(path.join(data.dir, "jobs", job.id)));
  }, 150_000);

  it("resumes a capture after its agent is SIGKILLed mid-upload: nothing lost, no duplicate checkpoint", async () => {
    const user = await RemoteCairn.signUp(cairn.url, "agent-kill");
    const job = await user.launch({ name: "big-write", type: "training", command: [process.execPath, sandbox.script, "big-output"], env: { BIG_BYTES: String(300 * 1024 * 1024) } });
    const uploading = await eventually(
      "the capture of step-1 to be uploading",
      async () => {
        const current = await user.job(job.id);
        return current.captures.some((c) => c.path === "step-1" && c.status === "uploading") ? current : null;
      },
      60_000,
    );
    const loop = Number(uploading.runnerJobId);
    const [agent] = agentPids(loop);
    expect(agent).toBeGreaterThan(0);
    process.kill(agent ?? 0, "SIGKILL");
    const done = await user.finished(job.id, 120_000);
    expect(done.status).toBe("succeeded");
    expect(done.captures.map((c) => [c.path, c.name, c.status]), await user.logText(job.id)).toEqual([["step-1", "big-write-step-1", "ready"]]);
    const checkpoint = await user.json<{ status: { files: { path: string; size: number; sha256: string }[] } }>("GET", `/checkpoints/big-write-step-1`);
    const expected = (await user.logText(job.id)).match(/stdout: sha256=([0-9a-f]{64})/)?.[1];
    expect(checkpoint.status.files).toEqual([{ path: "big.bin", size: 300 * 1024 * 1024, sha256: expected }]);
    expect(await user.logText(job.id)).toContain("system: The agent restarted; it took over the job");
    const listed = await user.json<{ items: { metadata: { name: string } }[] }>("GET", "/checkpoints?q=big-write");
    expect(listed.items.map((c) => c.metadata.name)).toEqual(["big-write-step-1"]);
  }, 180_000);
});
