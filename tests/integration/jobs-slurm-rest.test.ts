import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTempDataDir } from "../helpers/api";
import type { Envelope } from "../helpers/api-suite";
import { freePort, startCairnProcess, type CairnProcess } from "../helpers/cairn-process";
import { sha256 as sha } from "../helpers/files";
import { eventually, jobSandbox } from "../helpers/jobs";
import { RemoteCairn } from "../helpers/remote";
import { slurmAvailable, startSlurmCluster, type SlurmCluster, type SlurmRest } from "../helpers/slurm-cluster";

type RestJob = { job_id: number; name: string; job_state: string; state_reason: string; time_limit: number; tres_per_node: string; memory_per_node: number; partition: string };

/**
 * The Slurm runner through slurmrestd (`CAIRN_SLURM_REST_URL`) on a real one-node cluster with one
 * fake GPU and JWT auth, behind a Cairn server in a process of its own whose PATH has no Slurm
 * client tools and whose environment has no SLURM_CONF: every job reaches Slurm over HTTP.
 */
describe("jobs on a real Slurm cluster through slurmrestd", () => {
  let cluster: SlurmCluster & SlurmRest;
  let data: ReturnType<typeof useTempDataDir>;
  let sandbox: ReturnType<typeof jobSandbox>;
  let bin: string;
  let cairn: CairnProcess;
  let user: RemoteCairn;
  const weights = randomBytes(300_000);
  const node = (mode: string) => [process.execPath, sandbox.script, mode];

  /** slurmrestd's own view of a job, asked the way the runner asks. */
  async function restJob(id: string): Promise<RestJob> {
    const response = await fetch(`${cluster.restUrl}/slurm/v0.0.38/job/${id}`, { headers: { "X-SLURM-USER-NAME": cluster.restUser, "X-SLURM-USER-TOKEN": cluster.restToken } });
    const body = (await response.json()) as { jobs: RestJob[]; errors: unknown[] };
    if (response.status !== 200 || !body.jobs[0]) throw new Error(`GET job ${id}: ${response.status} ${JSON.stringify(body.errors)}`);
    return body.jobs[0];
  }

  beforeAll(async () => {
    const missing = slurmAvailable();
    if (missing) throw new Error(missing);
    cluster = await startSlurmCluster({ gpus: 1, rest: true });
    data = useTempDataDir();
    sandbox = jobSandbox(data.dir);
    // What the Cairn process (and so the agent's batch script) may run: node and sh, and sleep for
    // the agent's restart loop; no sbatch, squeue, scancel or scontrol.
    bin = mkdtempSync(path.join(os.tmpdir(), "cairn-rest-bin-"));
    symlinkSync(process.execPath, path.join(bin, "node"));
    symlinkSync("/bin/sh", path.join(bin, "sh"));
    symlinkSync("/usr/bin/sleep", path.join(bin, "sleep"));
    const port = await freePort();
    const workDir = path.join(data.dir, "slurm-jobs");
    mkdirSync(workDir, { recursive: true });
    cairn = await startCairnProcess(port, {
      PATH: bin,
      CAIRN_DATA_DIR: data.dir,
      CAIRN_JOB_RUNNER: "slurm",
      CAIRN_SLURM_WORK_DIR: workDir,
      CAIRN_SLURM_REST_URL: cluster.restUrl,
      CAIRN_SLURM_REST_TOKEN: cluster.restToken,
      CAIRN_SLURM_REST_USER: cluster.restUser,
      CAIRN_AGENT_SERVER_URL: `http://127.0.0.1:${port}`,
      CAIRN_AGENT_HEARTBEAT_SECONDS: "0.5",
      CAIRN_CAPTURE_QUIET_SECONDS: "1",
      CAIRN_JOB_STOP_GRACE_SECONDS: "2",
      CAIRN_WORKERS: "0",
    });
    user = await RemoteCairn.signUp(cairn.url, "slurm-rest");
    await user.readyCheckpoint("seed", { "model.bin": weights, "tok/tokenizer.json": "{}" });
  });
  afterAll(async () => {
    await cairn?.kill("SIGTERM");
    await cluster?.stop();
    data?.cleanup();
    if (bin) rmSync(bin, { recursive: true, force: true });
  });

  it("runs a job with a GPU through slurmrestd: the runner's fields, every input hash-identical", async () => {
    // The server cannot have used Slurm's CLI: none on its PATH, no slurm.conf in its environment.
    const serverEnv = readFileSync(`/proc/${cairn.child.pid}/environ`, "utf8").split("\0");
    expect(serverEnv).toContain(`PATH=${bin}`);
    expect(serverEnv.some((entry) => entry.startsWith("SLURM_CONF="))).toBe(false);
    expect(["sbatch", "squeue", "scancel", "scontrol"].filter((tool) => existsSync(path.join(bin, tool)))).toEqual([]);

    const job = await user.launch({
      name: "rest-verify",
      type: "training",
      command: node("verify"),
      checkpoints: [{ ref: "seed" }],
      resources: { gpus: 1, cpus: 1, memoryGb: 0.5, timeLimitMinutes: 10 },
      partition: cluster.partition,
      env: { EXPECTED_SHA256: JSON.stringify({ "seed/model.bin": sha(weights), "seed/tok/tokenizer.json": sha(Buffer.from("{}")) }) },
    });
    expect(job).toMatchObject({ runner: "slurm", status: "queued", partition: "debug", resources: { gpus: 1, cpus: 1, memoryGb: 0.5, timeLimitMinutes: 10 } });
    expect(job.runnerJobId).toMatch(/^\d+$/);
    const slurm = await restJob(job.runnerJobId ?? "");
    expect(slurm).toMatchObject({ name: "cairn-rest-verify", partition: "debug", time_limit: 10, memory_per_node: 512, tres_per_node: "gres:gpu:1" });
    const shown = execFileSync("scontrol", ["show", "job", job.runnerJobId ?? ""], { env: { ...process.env, ...cluster.env }, encoding: "utf8" });
    expect(shown).toContain("TimeLimit=00:10:00");
    expect(shown).toMatch(/gres[:/]gpu[:=]1/);
    expect(shown).toContain(`WorkDir=${path.join(data.dir, "slurm-jobs", job.id)}`);
    const done = await user.finished(job.id);
    const text = await user.logText(job.id);
    expect(done).toMatchObject({ status: "succeeded", exitCode: 0 });
    expect(text).toContain("stdout: match seed/model.bin");
    expect(text).toContain("stdout: match seed/tok/tokenizer.json");
    expect(text).not.toContain("MISMATCH");
    expect(text).toContain("stdout: cuda=0");
    expect(text).toMatch(/stdout: read-only append (EACCES|EROFS|EPERM)/);
  });

  it("refuses what Slurm or the runner cannot honour, in Slurm's own words, leaving no job", async () => {
    const tooMany = await user.request("POST", "/jobs", { name: "greedy", type: "training", command: ["true"], resources: { gpus: 2 } });
    expect(tooMany.status).toBe(422);
    const body = (await tooMany.json()) as Envelope;
    expect(body.error.code).toBe("validation_failed");
    // slurmrestd gives slurmctld's words without sbatch's "Batch job submission failed: ".
    expect(body.error.message).toBe("Slurm refused the job: Requested node configuration is not available");
    expect(body.error.details?.fields?.resources).toBe(body.error.message);
    expect((await user.request("GET", "/jobs/greedy")).status).toBe(404);
    const partition = (await (await user.request("POST", "/jobs", { name: "nowhere", type: "training", command: ["true"], partition: "nope" })).json()) as Envelope;
    expect(partition.error.message).toBe("Slurm refused the job: Invalid partition name specified");
    expect(partition.error.details?.fields?.partition).toBeDefined();
    const image = await user.request("POST", "/jobs", { name: "imaged", type: "training", command: ["true"], image: "pytorch/pytorch:2.4.0" });
    expect(image.status).toBe(422);
    expect(((await image.json()) as Envelope).error.details?.fields).toEqual({ image: "The slurm runner cannot honour image." });
  });

  it("shows a job pending in Slurm's queue as queued with Slurm's reason, cancels one stopped there, then runs the other", async () => {
    const release = sandbox.release("rest-gpu");
    const holder = await user.launch({ name: "rest-gpu-holder", type: "training", command: node("wait"), resources: { gpus: 1 }, env: { RELEASE_1: release } });
    await eventually("the holder to run", async () => (await user.job(holder.id)).status === "running");
    const waiter = await user.launch({ name: "rest-gpu-waiter", type: "training", command: node("succeed"), resources: { gpus: 1 } });
    const dropped = await user.launch({ name: "rest-gpu-dropped", type: "training", command: node("succeed"), resources: { gpus: 1 } });
    const pending = await eventually("the waiter to show Slurm's reason", async () => {
      const current = await user.job(waiter.id);
      return current.status === "queued" && current.statusMessage ? current : null;
    });
    expect(["Resources", "Priority"]).toContain(pending.statusMessage);
    expect((await restJob(waiter.runnerJobId ?? "")).job_state).toBe("PENDING");

    // Stopped while Slurm still holds it: a plain DELETE, and Slurm cancels it.
    const stopped = await user.json<{ status: string }>("POST", `/jobs/${dropped.id}/stop`);
    expect(stopped.status).toBe("stopped");
    await eventually("Slurm to cancel the stopped job", async () => (await restJob(dropped.runnerJobId ?? "")).job_state === "CANCELLED");

    writeFileSync(release, "go");
    expect((await user.finished(holder.id)).status).toBe("succeeded");
    const done = await user.finished(waiter.id);
    expect(done).toMatchObject({ status: "succeeded", statusMessage: null });
    expect((await user.job(dropped.id)).status).toBe("stopped");
  });

  it("captures while the job runs, and stops it through DELETE ?signal=TERM", async () => {
    const release1 = sandbox.release("rest-produce-1");
    const job = await user.launch({ name: "rest-produce", type: "training", command: node("produce"), env: { RELEASE_1: release1, RELEASE_2: sandbox.release("never") } });
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
    // The agent ended the Slurm job itself once it had captured (TERM is not a cancel).
    const ended = await eventually("the Slurm job to end", async () => {
      const slurm = await restJob(job.runnerJobId ?? "");
      return ["RUNNING", "PENDING", "COMPLETING"].includes(slurm.job_state) ? null : slurm;
    });
    expect(["COMPLETED", "FAILED"]).toContain(ended.job_state);
  });
});
