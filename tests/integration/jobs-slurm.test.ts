import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTempDataDir } from "../helpers/api";
import type { Envelope } from "../helpers/api-suite";
import { freePort, startCairnProcess, type CairnProcess } from "../helpers/cairn-process";
import { sha256 as sha } from "../helpers/files";
import { eventually, jobSandbox } from "../helpers/jobs";
import { RemoteCairn } from "../helpers/remote";
import { slurmAvailable, startSlurmCluster, type SlurmCluster } from "../helpers/slurm-cluster";


/**
 * The Slurm runner on a real one-node cluster (slurmctld + slurmd from Debian's slurm-wlm, with
 * one fake GPU), behind a Cairn server in a process of its own that the tests also SIGKILL.
 */
describe("jobs on a real Slurm cluster", () => {
  let cluster: SlurmCluster;
  let data: ReturnType<typeof useTempDataDir>;
  let sandbox: ReturnType<typeof jobSandbox>;
  let port: number;
  let env: Record<string, string>;
  let cairn: CairnProcess;
  let user: RemoteCairn;
  const weights = randomBytes(300_000);
  const node = (mode: string) => [process.execPath, sandbox.script, mode];

  beforeAll(async () => {
    const missing = slurmAvailable();
    if (missing) throw new Error(missing);
    cluster = await startSlurmCluster({ gpus: 1 });
    data = useTempDataDir();
    sandbox = jobSandbox(data.dir);
    port = await freePort();
    const workDir = path.join(data.dir, "slurm-jobs");
    mkdirSync(workDir, { recursive: true });
    env = {
      ...cluster.env,
      CAIRN_DATA_DIR: data.dir,
      CAIRN_JOB_RUNNER: "slurm",
      CAIRN_SLURM_WORK_DIR: workDir,
      CAIRN_AGENT_SERVER_URL: `http://127.0.0.1:${port}`,
      CAIRN_AGENT_HEARTBEAT_SECONDS: "0.5",
      CAIRN_CAPTURE_QUIET_SECONDS: "1",
      CAIRN_JOB_STOP_GRACE_SECONDS: "2",
      CAIRN_WORKERS: "0",
      // A secret of the server's environment, which must not reach the cluster's jobs.
      AWS_SECRET_ACCESS_KEY: "server-secret",
    };
    cairn = await startCairnProcess(port, env);
    user = await RemoteCairn.signUp(cairn.url, "slurm");
    await user.readyCheckpoint("seed", { "model.bin": weights, "tok/tokenizer.json": "{}" });
  });
  afterAll(async () => {
    await cairn?.kill("SIGTERM");
    await cluster?.stop();
    data?.cleanup();
  });

  it("runs a job with a GPU through sbatch: the runner's fields, every input hash-identical", async () => {
    const job = await user.launch({
      name: "slurm-verify",
      type: "training",
      command: node("verify"),
      checkpoints: [{ ref: "seed" }],
      resources: { gpus: 1, cpus: 1, memoryGb: 0.5, timeLimitMinutes: 10 },
      partition: cluster.partition,
      env: { EXPECTED_SHA256: JSON.stringify({ "seed/model.bin": sha(weights), "seed/tok/tokenizer.json": sha(Buffer.from("{}")) }) },
    });
    expect(job).toMatchObject({ runner: "slurm", status: "queued", partition: "debug", resources: { gpus: 1, cpus: 1, memoryGb: 0.5, timeLimitMinutes: 10 } });
    expect(job.runnerJobId).toMatch(/^\d+$/);
    const shown = execFileSync("scontrol", ["show", "job", job.runnerJobId ?? ""], { env: { ...process.env, ...cluster.env }, encoding: "utf8" });
    expect(shown).toContain("TimeLimit=00:10:00");
    expect(shown).toMatch(/gres[:/]gpu[:=]1/);
    const done = await user.finished(job.id);
    const text = await user.logText(job.id);
    expect(done).toMatchObject({ status: "succeeded", exitCode: 0 });
    expect(text).toContain("stdout: match seed/model.bin");
    expect(text).toContain("stdout: match seed/tok/tokenizer.json");
    expect(text).not.toContain("MISMATCH");
    expect(text).toContain("stdout: cuda=0");
    expect(text).toMatch(/stdout: read-only append (EACCES|EROFS|EPERM)/);
  });

  it("keeps the server's environment out of the job", async () => {
    const job = await user.launch({ name: "slurm-env", type: "training", command: ["sh", "-c", 'echo "secret=${AWS_SECRET_ACCESS_KEY:-none} data=${CAIRN_DATA_DIR:-none} token=${CAIRN_JOB_TOKEN:-none}"'] });
    expect((await user.finished(job.id)).status).toBe("succeeded");
    expect(await user.logText(job.id)).toContain("stdout: secret=none data=none token=none");
  });

  it("refuses what Slurm or the runner cannot honour, in Slurm's own words, leaving no job", async () => {
    const tooMany = await user.request("POST", "/jobs", { name: "greedy", type: "training", command: ["true"], resources: { gpus: 2 } });
    expect(tooMany.status).toBe(422);
    const body = (await tooMany.json()) as Envelope;
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.message).toBe("Slurm refused the job: Batch job submission failed: Requested node configuration is not available");
    expect((await user.request("GET", "/jobs/greedy")).status).toBe(404);
    const partition = (await (await user.request("POST", "/jobs", { name: "nowhere", type: "training", command: ["true"], partition: "nope" })).json()) as Envelope;
    expect(partition.error.message).toMatch(/^Slurm refused the job: .*[Ii]nvalid partition/);
    expect(partition.error.details?.fields?.partition).toBeDefined();
    const image = await user.request("POST", "/jobs", { name: "imaged", type: "training", command: ["true"], image: "pytorch/pytorch:2.4.0" });
    expect(image.status).toBe(422);
    expect(((await image.json()) as Envelope).error.details?.fields).toEqual({ image: "The slurm runner cannot honour image." });
  });

  it("shows a job pending in Slurm's queue as queued with Slurm's reason, then runs it", async () => {
    const release = sandbox.release("slurm-gpu");
    const holder = await user.launch({ name: "gpu-holder", type: "training", command: node("wait"), resources: { gpus: 1 }, env: { RELEASE_1: release } });
    await eventually("the holder to run", async () => (await user.job(holder.id)).status === "running");
    const waiter = await user.launch({ name: "gpu-waiter", type: "training", command: node("succeed"), resources: { gpus: 1 } });
    const pending = await eventually("the waiter to show Slurm's reason", async () => {
      const current = await user.job(waiter.id);
      return current.status === "queued" && current.statusMessage ? current : null;
    });
    expect(["Resources", "Priority"]).toContain(pending.statusMessage);
    writeFileSync(release, "go");
    expect((await user.finished(holder.id)).status).toBe("succeeded");
    const done = await user.finished(waiter.id);
    expect(done).toMatchObject({ status: "succeeded", statusMessage: null });
  });

  it("captures step-100 and step-200 while the job runs, and stops it through scancel", async () => {
    const release1 = sandbox.release("slurm-produce-1");
    const job = await user.launch({ name: "slurm-produce", type: "training", command: node("produce"), env: { RELEASE_1: release1, RELEASE_2: sandbox.release("never") } });
    await eventually("step-100 to be captured while running", async () => {
      const current = await user.job(job.id);
      return current.status === "running" && current.captures.some((c) => c.path === "step-100" && c.status === "ready");
    });
    writeFileSync(release1, "go");
    await eventually("step-200 to be captured while running", async () => {
      const current = await user.job(job.id);
      return current.status === "running" && current.captures.some((c) => c.path === "step-200" && c.status === "ready");
    });
    const asked = Date.now();
    const stopped = await user.json<{ status: string }>("POST", `/jobs/${job.id}/stop`);
    expect(stopped.status).toBe("running");
    const done = await user.finished(job.id);
    // SIGTERM reaches the command at once: the job script exits on it, well inside the grace period.
    expect(Date.now() - asked).toBeLessThan(10_000);
    expect(done.status).toBe("stopped");
    expect(done.captures.map((c) => [c.path, c.status])).toEqual([
      ["step-100", "ready"],
      ["step-200", "ready"],
      ["metrics.json", "ready"],
    ]);
    expect(await user.logText(job.id)).toContain("system: Stopping: SIGTERM sent");
  });

  it("goes on when Cairn is SIGKILLed and restarted mid-job, and is captured", async () => {
    const release1 = sandbox.release("slurm-restart-1");
    const release2 = sandbox.release("slurm-restart-2");
    const job = await user.launch({ name: "slurm-survivor", type: "training", command: node("produce"), env: { RELEASE_1: release1, RELEASE_2: release2 } });
    await eventually("step-100 to be captured", async () => (await user.job(job.id)).captures.some((c) => c.path === "step-100" && c.status === "ready"));
    await cairn.kill("SIGKILL");
    writeFileSync(release1, "go");
    await sleep(5_000);
    cairn = await startCairnProcess(port, env);
    await eventually("step-200 to be captured after the restart", async () => (await user.job(job.id)).captures.some((c) => c.path === "step-200" && c.status === "ready"));
    writeFileSync(release2, "go");
    const done = await user.finished(job.id);
    expect(done.status).toBe("succeeded");
    expect(done.captures.map((c) => c.name)).toEqual(["slurm-survivor-step-100", "slurm-survivor-step-200", "slurm-survivor-metrics.json"]);
    const stdout = (await user.logText(job.id)).split("\n").filter((l) => l.startsWith("stdout: "));
    expect(stdout).toEqual(["stdout: wrote step-100", "stdout: wrote step-200 and metrics.json", "stdout: done"]);
  }, 120_000);
});
