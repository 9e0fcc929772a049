import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import * as checkpoint from "@/app/api/v1/checkpoints/[ref]/route";
import * as checkpointFile from "@/app/api/v1/checkpoints/[ref]/files/[...path]/route";
import * as retryRoute from "@/app/api/v1/jobs/[ref]/captures/retry/route";
import type { JobResponse } from "@/lib/api/schemas/jobs";
import { captureName, stepFromName } from "@/lib/jobs/captures";
import { call, getCheckpoint as getCheckpointOf, json, readyCheckpoint, sha256 as sha, signUpWithToken, testDatabases, useApiSuite } from "../helpers/api-suite";
import { eventually, finished, getJob, jobSandbox, launch, logText, settleJobs } from "../helpers/jobs";

describe("capture naming", () => {
  it("reads steps and squeezes names into the naming rule", () => {
    expect(stepFromName("step-2000")).toBe(2000);
    expect(stepFromName("checkpoint-500")).toBe(500);
    expect(stepFromName("global_step300")).toBe(300);
    expect(stepFromName("1200")).toBe(1200);
    expect(stepFromName("best")).toBeNull();
    expect(captureName("run", "Checkpoint 500")).toBe("run-checkpoint-500");
    expect(captureName("a".repeat(60), "step-100", "-2")).toMatch(/^a{60}-2$/);
    expect(captureName("run", "__")).toBe("run");
  });
});

describe.each(testDatabases)("managed checkpoints captured from job output on %s", (kind) => {
  const suite = useApiSuite(kind, {
    users: ["capture"],
    env: { CAIRN_CAPTURE_QUIET_SECONDS: "1", CAIRN_MAX_RUNNING_JOBS: "6", CAIRN_CAPTURE_LINGER_SECONDS: "0" },
    jobs: { runner: "local" },
  });
  const { capture: user } = suite.users;
  let sandbox: ReturnType<typeof jobSandbox>;

  beforeAll(async () => {
    sandbox = jobSandbox(suite.dataDir);
    await readyCheckpoint(user, "seed", { "w.bin": "weights" });
  });

  const node = (mode: string) => [process.execPath, sandbox.script, mode];
  const getCheckpoint = (ref: string) => getCheckpointOf(user, ref);
  const fileSha = async (ref: string, path: string) => {
    const response = await call(checkpointFile.GET, "/x", { token: user.token, params: { ref, path: path.split("/") } });
    expect(response.status).toBe(200);
    return sha(Buffer.from(await response.arrayBuffer()));
  };

  it("turns each sub-directory and flat file into a checkpoint while the job still runs", async () => {
    // An input of its own, whose users the test counts; and a name taken before the job runs, so
    // the capture of step-100 must pick the next free one.
    await readyCheckpoint(user, "train-seed", { "w.bin": "weights" });
    await readyCheckpoint(user, "train-step-100", { x: "x" });
    const release1 = sandbox.release("capture-1");
    const release2 = sandbox.release("capture-2");
    const created = await launch(user, {
      name: "train",
      type: "training",
      command: node("produce"),
      checkpoints: [{ ref: "train-seed" }],
      env: { RELEASE_1: release1, RELEASE_2: release2 },
    });
    expect(created.status).toBe(201);
    const job = await json<JobResponse>(created);

    const first = await eventually(() => logText(user, job.id).then((t) => `step-100 to be captured; logs:\n${t}`), async () => {
      const current = await getJob(user, job.id);
      return current.captures.find((c) => c.path === "step-100" && c.status === "ready") ? current : null;
    });
    expect(first.status).toBe("running");
    const step100 = first.captures.find((c) => c.path === "step-100");
    expect(step100).toMatchObject({ name: "train-step-100-2", step: 100, status: "ready", message: null });
    expect(first.outputs).toEqual([step100?.checkpointId]);

    const captured = await getCheckpoint("train-step-100-2");
    expect(captured.spec).toMatchObject({ sourceType: "job", sourceUri: `job://${job.id}/step-100`, producedBy: { jobId: job.id, jobName: "train" } });
    expect(captured.status).toMatchObject({ status: "ready", step: 100, fileCount: 2 });
    expect(captured.status.files?.map((f) => f.path)).toEqual(["config.json", "model.bin"]);
    expect(await fileSha("train-step-100-2", "config.json")).toBe(sha(Buffer.from(JSON.stringify({ step: 100 }))));
    // Still running: the capture is attachable right away, and the job itself is still using its seed.
    const seed = await getCheckpoint("train-seed");
    expect(seed.status.usedBy).toEqual([{ jobId: job.id, jobName: "train", status: "running" }]);

    writeFileSync(release1, "go");
    const second = await eventually("step-200 and metrics.json to be captured", async () => {
      const current = await getJob(user, job.id);
      const ready = current.captures.filter((c) => c.status === "ready").map((c) => c.path);
      return ready.includes("step-200") && ready.includes("metrics.json") ? current : null;
    });
    expect(second.status).toBe("running");
    expect(second.captures.map((c) => [c.path, c.name, c.step])).toEqual([
      ["step-100", "train-step-100-2", 100],
      ["step-200", "train-step-200", 200],
      ["metrics.json", "train-metrics.json", null],
    ]);
    const flat = await getCheckpoint("train-metrics.json");
    expect(flat.spec.sourceUri).toBe(`job://${job.id}/metrics.json`);
    expect(flat.status.files?.map((f) => f.path)).toEqual(["metrics.json"]);

    writeFileSync(release2, "go");
    const done = await finished(user, job.id);
    expect(done.status).toBe("succeeded");
    expect(done.outputs).toHaveLength(3);
    expect(await logText(user, job.id)).toContain("system: Captured 'step-200' as checkpoint 'train-step-200' (1 files, 64 KB).");
    const resumed = await launch(user, { name: "resume", type: "training", command: ["true"], checkpoints: [{ ref: "train-step-200" }] });
    expect(resumed.status).toBe(201);
    await finished(user, "resume");
    const lineage = await getCheckpoint("train-step-200");
    expect(lineage.status.usedBy).toEqual([{ jobId: (await json<JobResponse>(resumed)).id, jobName: "resume", status: "succeeded" }]);
  });

  it("captures a model written at the root as one checkpoint <job>-final when the job ends", async () => {
    const job = await json<JobResponse>(await launch(user, { name: "ft", type: "fine-tuning", command: node("final-model") }));
    const done = await finished(user, job.id);
    expect(done.status).toBe("succeeded");
    expect(done.captures.map((c) => [c.path, c.name, c.status])).toEqual([[".", "ft-final", "ready"]]);
    const model = await getCheckpoint("ft-final");
    expect(model.status.files?.map((f) => f.path)).toEqual(["config.json", "model.safetensors", "tokenizer.json"]);
    expect(model.spec.sourceUri).toBe(`job://${job.id}/`);
  });

  it("records a capture that fails, with its reason, on the job", async () => {
    process.env.CAIRN_ORG_QUOTA_BYTES = "1000";
    try {
      const job = await json<JobResponse>(await launch(user, { name: "over-quota", type: "fine-tuning", command: node("final-model") }));
      const done = await finished(user, job.id);
      expect(done.status).toBe("succeeded");
      expect(done.outputs).toEqual([]);
      const [capture] = done.captures;
      expect(capture).toMatchObject({ path: ".", name: "over-quota-final", status: "failed" });
      expect(capture?.message).toMatch(/^Capturing the model in the output directory needs 4\.[0-9]+ KB but only [0-9.]+ B are left under the organization's 1000 B storage quota/);
      expect(capture?.message).toContain("are missing. The files are kept in the job's output directory.");
      expect(await logText(user, job.id)).toContain(`system: ${capture?.message}`);
      const failed = await getCheckpoint("over-quota-final");
      expect(failed.status.status).toBe("failed");
      // The totals were known before the first byte was stored: the dashboard showed a progress bar.
      expect(failed.status.progress).toMatchObject({ bytesTotal: 22 + 4096 + 2, filesTotal: 3 });
    } finally {
      delete process.env.CAIRN_ORG_QUOTA_BYTES;
    }
    // Its agent did not linger (CAIRN_CAPTURE_LINGER_SECONDS=0) and is gone: a retry starts a new
    // one in the job's directory, which takes over the files the first one kept.
    await settleJobs(suite.database.db);
    const retried = await call(retryRoute.POST, "/x", { method: "POST", token: user.token, params: { ref: "over-quota" } });
    expect(retried.status).toBe(202);
    const ready = await eventually("the relaunched agent to store the capture", async () => {
      const current = await getJob(user, "over-quota");
      return current.captures[0]?.status === "ready" ? current : null;
    });
    expect(ready.status).toBe("succeeded");
    expect((await getCheckpoint("over-quota-final")).status).toMatchObject({ status: "ready", fileCount: 3 });
    expect(await logText(user, "over-quota")).toContain("system: An agent on");
  });

  it("keeps a capture the quota cannot hold on disk, says what is missing, and stores it on Retry capture once raised", async () => {
    process.env.CAIRN_ORG_QUOTA_BYTES = "1000";
    process.env.CAIRN_CAPTURE_LINGER_SECONDS = "120";
    let job: JobResponse;
    try {
      job = await json<JobResponse>(await launch(user, { name: "retry-me", type: "fine-tuning", command: node("final-model") }));
      const done = await finished(user, job.id);
      expect(done.status).toBe("succeeded");
      expect(done.captures).toMatchObject([{ path: ".", name: "retry-me-final", status: "failed" }]);
      expect(done.captures[0]?.message).toMatch(/needs 4\.[0-9]+ KB .* are missing/);
      // The agent keeps the files at hand for a retry.
      const outputs = path.join(suite.dataDir, "jobs", job.id, "outputs");
      expect(existsSync(path.join(outputs, "model.safetensors"))).toBe(true);
      const tooEarly = await eventually("the agent to wait for a retry", async () => {
        const current = await getJob(user, job.id);
        return current.lastHeartbeatAt && Date.now() - Date.parse(current.lastHeartbeatAt) < 3000 ? current : null;
      });
      expect(tooEarly.outputs).toEqual([]);
    } finally {
      delete process.env.CAIRN_ORG_QUOTA_BYTES;
      process.env.CAIRN_CAPTURE_LINGER_SECONDS = "0";
    }
    const retried = await call(retryRoute.POST, "/x", { method: "POST", token: user.token, params: { ref: job.id } });
    expect(retried.status).toBe(202);
    const ready = await eventually("the capture to be stored after the retry", async () => {
      const current = await getJob(user, job.id);
      return current.captures[0]?.status === "ready" ? current : null;
    });
    expect(ready.outputs).toEqual([ready.captures[0]?.checkpointId]);
    expect((await getCheckpoint("retry-me-final")).status).toMatchObject({ status: "ready", fileCount: 3 });
    await eventually("the job's directory to go once the capture is ready", async () => !existsSync(path.join(suite.dataDir, "jobs", job.id)));
    const again = await call(retryRoute.POST, "/x", { method: "POST", token: user.token, params: { ref: job.id } });
    expect(again.status).toBe(409);
  });

  it("captures every job that writes a checkpoint and exits at once (the final pass does not race the exit)", async () => {
    const created = await Promise.all(
      [1, 2, 3, 4, 5, 6].map(async (n) => json<JobResponse>(await launch(user, { name: `quick-${n}`, type: "training", command: node("quick-exit") }))),
    );
    const done = await Promise.all(created.map((job) => finished(user, job.id)));
    await settleJobs(suite.database.db);
    for (const job of done) {
      const current = await getJob(user, job.id);
      expect(current.status).toBe("succeeded");
      expect(current.captures.map((c) => [c.path, c.status])).toEqual([["step-1", "ready"]]);
      const ckpt = await getCheckpoint(current.captures[0]?.checkpointId ?? "");
      expect(ckpt.status.files?.map((f) => [f.path, f.size])).toEqual([["w.bin", 32768]]);
    }
  });

  it("captures a PEFT adapter and a Diffusers pipeline at the root each as one checkpoint", async () => {
    const peft = await json<JobResponse>(await launch(user, { name: "lora", type: "fine-tuning", command: node("peft") }));
    const pipe = await json<JobResponse>(await launch(user, { name: "sd", type: "training", command: node("diffusers") }));
    const [adapter, pipeline] = await Promise.all([finished(user, peft.id), finished(user, pipe.id)]);
    await settleJobs(suite.database.db);
    expect((await getJob(user, adapter.id)).captures.map((c) => [c.path, c.name, c.status])).toEqual([[".", "lora-final", "ready"]]);
    expect((await getCheckpoint("lora-final")).status.files?.map((f) => f.path)).toEqual(["README.md", "adapter_config.json", "adapter_model.safetensors"]);
    // The component folders belong to the pipeline: no checkpoint of their own.
    expect((await getJob(user, pipeline.id)).captures.map((c) => [c.path, c.name, c.status])).toEqual([[".", "sd-final", "ready"]]);
    expect((await getCheckpoint("sd-final")).status.files?.map((f) => f.path)).toEqual([
      "model_index.json",
      "scheduler/scheduler_config.json",
      "unet/config.json",
      "unet/diffusion_pytorch_model.safetensors",
      "vae/config.json",
      "vae/diffusion_pytorch_model.safetensors",
    ]);
  });

  it("does not send bytes the organization already stores, and never learns what another one stores", async () => {
    const other = await signUpWithToken("capture-other");
    const theirs = "bytes only another organization stores";
    await readyCheckpoint(other, "theirs", { "t.txt": theirs });
    const job = await json<JobResponse>(
      await launch(user, { name: "dedup", type: "training", command: node("copy-input"), checkpoints: [{ ref: "seed" }], env: { COPY_PATH: "w.bin", GIVEN: theirs } }),
    );
    const done = await finished(user, job.id);
    expect(done.captures.map((c) => [c.path, c.status])).toEqual([["step-1", "ready"]]);
    // The copy of the seed's weights was recorded without its bytes; the other org's bytes were sent.
    expect(await logText(user, job.id)).toContain("system: Captured 'step-1' as checkpoint 'dedup-step-1' (2 files, 45 B; 1 already stored, not sent again).");
    const files = (await getCheckpoint("dedup-step-1")).status.files?.map((f) => [f.path, f.size]);
    expect(files).toEqual([
      ["copy.bin", 7],
      ["given.txt", theirs.length],
    ]);
  });

  it("captures nothing when captureOutputs is off", async () => {
    const job = await json<JobResponse>(await launch(user, { name: "no-capture", type: "inference", command: node("final-model"), captureOutputs: false }));
    const done = await finished(user, job.id);
    expect(done).toMatchObject({ status: "succeeded", captureOutputs: false, captures: [], outputs: [] });
    expect((await call(checkpoint.GET, "/x", { token: user.token, params: { ref: "no-capture-final" } })).status).toBe(404);
  });
});
