import { randomBytes } from "node:crypto";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import * as checkpoints from "@/app/api/v1/checkpoints/route";
import * as checkpoint from "@/app/api/v1/checkpoints/[ref]/route";
import * as checkpointFiles from "@/app/api/v1/checkpoints/[ref]/files/route";
import * as checkpointFile from "@/app/api/v1/checkpoints/[ref]/files/[...path]/route";
import * as jobsRoute from "@/app/api/v1/jobs/route";
import * as jobRoute from "@/app/api/v1/jobs/[ref]/route";
import * as logsRoute from "@/app/api/v1/jobs/[ref]/logs/route";
import * as stopRoute from "@/app/api/v1/jobs/[ref]/stop/route";
import type { JobResponse } from "@/lib/api/schemas/jobs";
import { findJobById, insertAttachments, insertJob } from "@/lib/db/queries/jobs";
import { encryptSecret } from "@/lib/connections/crypto";
import { envContext } from "@/lib/jobs/agent-token";
import { addMember, call, json, readyCheckpoint, sha256 as sha, signUpWithToken, testDatabases, useApiSuite, type Envelope } from "../helpers/api-suite";
import { eventually, finished, getJob, jobLogs, jobSandbox, launch, logText, settleJobs } from "../helpers/jobs";

describe.each(testDatabases)("jobs on %s", (kind) => {
  const suite = useApiSuite(kind, {
    users: ["alice", "bob", "viewer", "member"],
    env: { CAIRN_JOB_STOP_GRACE_SECONDS: "1", CAIRN_CAPTURE_QUIET_SECONDS: "1", CAIRN_MAX_RUNNING_JOBS: "2" },
    jobs: { runner: "local" },
  });
  const { alice, bob, viewer, member } = suite.users;
  let sandbox: ReturnType<typeof jobSandbox>;
  const weights = randomBytes(300_000);
  const tokenizer = Buffer.from('{"vocab": 32000}');
  const bobWeights = randomBytes(50_000);

  // Read-only for every test: whatever a test changes or deletes, it makes itself.
  beforeAll(async () => {
    sandbox = jobSandbox(suite.dataDir);
    await addMember(alice, viewer, "viewer");
    await addMember(bob, member, "member");
    await readyCheckpoint(alice, "base", { "model.bin": weights, "tok/tokenizer.json": tokenizer });
    await readyCheckpoint(bob, "bob-private", { "w.bin": "private" });
  });

  const node = (mode: string) => [process.execPath, sandbox.script, mode];

  it("runs the command with read-only, hash-identical checkpoints at the documented paths", async () => {
    const created = await launch(alice, {
      name: "verify-1",
      type: "training",
      command: node("verify"),
      checkpoints: [{ ref: "base" }],
      env: { EXPECTED_SHA256: JSON.stringify({ "base/model.bin": sha(weights), "base/tok/tokenizer.json": sha(tokenizer) }), MY_SECRET: "s3cr3t" },
    });
    expect(created.status).toBe(201);
    const job = await json<JobResponse>(created);
    expect(job).toMatchObject({ name: "verify-1", type: "training", command: node("verify"), exitCode: null, outputs: [] });
    expect(["queued", "running"]).toContain(job.status);
    expect(job.checkpoints).toEqual([expect.objectContaining({ name: "base", mountPath: "$FLEXAI_INPUT_CHECKPOINT_DIR/base", public: false })]);
    expect(job.envKeys).toEqual(["EXPECTED_SHA256", "MY_SECRET"]);
    expect(JSON.stringify(job)).not.toContain("s3cr3t");

    const done = await finished(alice, job.id);
    const text = await logText(alice, job.id);
    expect(text).toContain("stdout: match base/model.bin");
    expect(text).toContain("stdout: match base/tok/tokenizer.json");
    expect(text).not.toContain("MISMATCH");
    expect(text).toMatch(/stdout: first=\/.*\/inputs\/base\n/);
    expect(text).toContain("stdout: entries=base");
    expect(text).toContain("stdout: output-empty=true");
    expect(text).toMatch(/stdout: read-only new-file (EACCES|EROFS|EPERM)/);
    expect(text).toMatch(/stdout: read-only append (EACCES|EROFS|EPERM)/);
    expect(text).toContain("stderr: secret=s3cr3t");
    if (process.getuid?.() === 0) {
      // Run as nobody: the job reaches its inputs, but cannot list the data directory or the blob store.
      for (const label of ["data-dir", "blobs", "jobs"]) expect(text).toContain(`stdout: private ${label} EACCES`);
    }
    expect(done).toMatchObject({ status: "succeeded", exitCode: 0 });
    expect(done.startedAt).not.toBeNull();
    expect(done.finishedAt).not.toBeNull();
  });

  it("records a failing command's exit code and a missing program's reason", async () => {
    const failing = await json<JobResponse>(await launch(alice, { name: "fails", type: "inference", command: node("fail"), checkpoints: [] }));
    expect(await finished(alice, failing.id)).toMatchObject({ status: "failed", exitCode: 7, message: "The command exited with code 7." });
    expect(await logText(alice, failing.id)).toContain("stderr: something broke");
    const missing = await json<JobResponse>(await launch(alice, { name: "no-such", type: "inference", command: ["cairn-no-such-program"] }));
    const ended = await finished(alice, missing.id);
    expect(ended.status).toBe("failed");
    expect(ended.message).toContain("'cairn-no-such-program' was not found");
  });

  it("pages logs with ?after= for incremental polling", async () => {
    const job = await json<JobResponse>(await launch(alice, { name: "chatty", type: "training", command: node("chatty") }));
    await finished(alice, job.id);
    const first = await jobLogs(alice, job.id);
    const lines = first.items.filter((l) => l.stream === "stdout").map((l) => l.message);
    expect(lines).toHaveLength(2000);
    expect(lines[0]).toBe("line 0");
    expect(lines[1999]).toBe("line 1999");
    const middle = first.items[1000];
    if (!middle) throw new Error("no line 1000");
    const rest = await jobLogs(alice, job.id, middle.id);
    expect(rest.items[0]?.id).toBeGreaterThan(middle.id);
    expect(rest.items).toHaveLength(first.items.length - 1001);
    expect(rest.nextAfter).toBe(first.items.at(-1)?.id);
    expect((await jobLogs(alice, job.id, rest.nextAfter)).items).toEqual([]);
  });

  it("refuses bad input with the error envelope naming the field", async () => {
    const shellLine = await launch(alice, { name: "shell", type: "training", command: ["python train.py --epochs 3"] });
    expect(shellLine.status).toBe(422);
    expect((await json<Envelope>(shellLine)).error.details?.fields?.command).toContain('["sh", "-c", "…"]');
    const badType = await launch(alice, { name: "typ", type: "pretraining", command: ["true"] });
    expect((await json<Envelope>(badType)).error.details?.fields?.type).toBe("type must be one of training, fine-tuning, inference");
    const reserved = await launch(alice, { name: "env", type: "training", command: ["true"], env: { FLEXAI_OUTPUT_CHECKPOINT_DIR: "/etc" } });
    expect(reserved.status).toBe(422);
    expect((await json<Envelope>(reserved)).error.details?.fields?.["env.FLEXAI_OUTPUT_CHECKPOINT_DIR"]).toContain("set by Cairn");
    const first = await json<JobResponse>(await launch(alice, { name: "taken", type: "training", command: node("succeed") }));
    expect((await finished(alice, first.id)).status).toBe("succeeded");
    const taken = await launch(alice, { name: "taken", type: "training", command: ["true"] });
    expect(taken.status).toBe(409);
    expect((await json<Envelope>(taken)).error.code).toBe("conflict");
    // The local runner honours no resource field: each one given is named.
    const gpus = await launch(alice, { name: "wants-gpus", type: "training", command: ["true"], resources: { gpus: 2 }, partition: "a100" });
    expect(gpus.status).toBe(422);
    expect(await json<Envelope>(gpus)).toEqual({
      error: {
        code: "validation_failed",
        message: "This Cairn runs jobs with the local runner, which cannot honour gpus, partition. Leave them out, or ask an administrator about CAIRN_JOB_RUNNER.",
        details: { fields: { "resources.gpus": "The local runner cannot honour gpus.", partition: "The local runner cannot honour partition." } },
      },
    });
    const zero = await launch(alice, { name: "zero-gpus", type: "training", command: ["true"], resources: { gpus: 0 } });
    expect((await json<Envelope>(zero)).error.details?.fields?.["resources.gpus"]).toBe("gpus is at least 1.");
  });

  it("takes resource flags from `cairn job run` and shows the runner's refusal in its words", async () => {
    // Asynchronously: the API server the CLI talks to runs in this process.
    const cli = (args: string[]) =>
      promisify(execFile)(process.execPath, [path.join(process.cwd(), "bin/cairn.mjs"), ...args], {
        env: { ...process.env, CAIRN_SERVER: suite.server.url, CAIRN_TOKEN: alice.token, XDG_CONFIG_HOME: path.join(suite.dataDir, "cli-config") },
        encoding: "utf8",
      }).then(
        (r) => ({ status: 0, stderr: r.stderr }),
        (e: { code?: number; stderr?: string }) => ({ status: e.code ?? -1, stderr: e.stderr ?? "" }),
      );
    const run = await cli(["job", "run", "cli-gpus", "--gpus", "1", "--time-limit", "30", "--", "true"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe("error: This Cairn runs jobs with the local runner, which cannot honour gpus, timeLimitMinutes. Leave them out, or ask an administrator about CAIRN_JOB_RUNNER.\n");
    const bad = await cli(["job", "run", "cli-bad", "--gpus", "two", "--", "true"]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain("--gpus takes a whole number of at least 1, got 'two'.");
  });

  it("attaches only ready checkpoints of the org or public ones (422 naming the checkpoint)", async () => {
    const uploading = await call(checkpoints.POST, "/x", { method: "POST", token: alice.token, body: { name: "half-done", sourceType: "local" } });
    expect(uploading.status).toBe(201);
    const notReady = await launch(alice, { name: "r1", type: "training", command: ["true"], checkpoints: [{ ref: "base" }, { ref: "half-done" }] });
    expect(notReady.status).toBe(422);
    const notReadyBody = await json<Envelope>(notReady);
    expect(notReadyBody.error.code).toBe("validation_failed");
    expect(notReadyBody.error.details?.fields?.["checkpoints.1.ref"]).toBe(
      "Checkpoint 'half-done' is 'uploading'; only ready checkpoints can be attached. Wait until it is ready.",
    );
    const privateOther = await launch(alice, { name: "r2", type: "training", command: ["true"], checkpoints: [{ ref: "bob-private", public: true }] });
    expect(privateOther.status).toBe(422);
    expect((await json<Envelope>(privateOther)).error.details?.fields?.["checkpoints.0.ref"]).toBe(
      "Checkpoint 'bob-private' was not found in the public catalog. Pick a checkpoint from the list.",
    );
    const bobPrivate = await json<{ items: { metadata: { id: string; name: string } }[] }>(await call(checkpoints.GET, "/x", { token: bob.token }));
    const privateId = bobPrivate.items.find((c) => c.metadata.name === "bob-private")?.metadata.id ?? "";
    const byId = await launch(alice, { name: "r3", type: "training", command: ["true"], checkpoints: [{ ref: privateId }] });
    expect(byId.status).toBe(422);
    expect((await json<Envelope>(byId)).error.message).toContain(`Checkpoint '${privateId}' was not found in this organization`);
    const viewerLaunch = await launch(viewer, { name: "r4", type: "training", command: ["true"] }, { "x-cairn-org": alice.orgId });
    expect(viewerLaunch.status).toBe(403);
    expect((await json<Envelope>(viewerLaunch)).error.code).toBe("forbidden");
  });

  it("publishes through PATCH visibility (owners and admins only) and serves the public catalog read-only", async () => {
    await readyCheckpoint(bob, "bob-public", { "w.bin": bobWeights });
    const denied = await call(checkpoint.PATCH, "/x", {
      method: "PATCH",
      token: member.token,
      headers: { "x-cairn-org": bob.orgId },
      params: { ref: "bob-public" },
      body: { visibility: "public" },
    });
    expect(denied.status).toBe(403);
    const published = await call(checkpoint.PATCH, "/x", { method: "PATCH", token: bob.token, params: { ref: "bob-public" }, body: { visibility: "public" } });
    expect(published.status).toBe(200);
    const publicId = (await json<{ metadata: { id: string } }>(published)).metadata.id;

    const catalog = await json<{ items: { metadata: { name: string; ownerOrgID: string } }[] }>(
      await call(checkpoints.GET, "/x", { token: alice.token, query: { visibility: "public" } }),
    );
    expect(catalog.items.map((c) => c.metadata.name)).toEqual(["bob-public"]);
    expect(catalog.items[0]?.metadata.ownerOrgID).toBe(bob.orgId);
    const own = await json<{ items: { metadata: { name: string } }[] }>(await call(checkpoints.GET, "/x", { token: alice.token }));
    expect(own.items.map((c) => c.metadata.name)).not.toContain("bob-public");

    expect((await call(checkpoint.GET, "/x", { token: alice.token, params: { ref: publicId } })).status).toBe(200);
    const listed = await json<{ items: { path: string }[] }>(await call(checkpointFiles.GET, "/x", { token: alice.token, params: { ref: publicId } }));
    expect(listed.items.map((f) => f.path)).toEqual(["w.bin"]);
    const bytes = await call(checkpointFile.GET, "/x", { token: alice.token, params: { ref: publicId, path: ["w.bin"] } });
    expect(bytes.status).toBe(200);
    expect(sha(Buffer.from(await bytes.arrayBuffer()))).toBe(sha(bobWeights));
    const rename = await call(checkpoint.PATCH, "/x", { method: "PATCH", token: alice.token, params: { ref: publicId }, body: { name: "mine-now" } });
    expect(rename.status).toBe(404);
    expect((await call(checkpoint.DELETE, "/x", { method: "DELETE", token: alice.token, params: { ref: publicId } })).status).toBe(404);
    expect((await call(checkpoint.GET, "/x", { token: alice.token, params: { ref: "bob-private" } })).status).toBe(404);
  });

  it("attaches a public checkpoint across orgs; its owner cannot delete it while the job runs", async () => {
    await readyCheckpoint(bob, "bob-shared", { "w.bin": bobWeights });
    const shared = await call(checkpoint.PATCH, "/x", { method: "PATCH", token: bob.token, params: { ref: "bob-shared" }, body: { visibility: "public" } });
    expect(shared.status).toBe(200);
    const release = sandbox.release("public-job");
    const created = await launch(alice, {
      name: "uses-public",
      type: "fine-tuning",
      command: node("wait"),
      checkpoints: [{ ref: "base" }, { ref: "bob-shared", public: true }],
      env: { RELEASE_1: release },
    });
    expect(created.status).toBe(201);
    const job = await json<JobResponse>(created);
    expect(job.checkpoints.map((c) => [c.name, c.public, c.ownerOrgID])).toEqual([
      ["base", false, alice.orgId],
      ["bob-shared", true, bob.orgId],
    ]);
    await eventually("the job to run", async () => (await logText(alice, job.id)).includes("stdout: waiting"));

    for (const [owner, ref] of [
      [bob, "bob-shared"],
      [alice, "base"],
    ] as const) {
      const refused = await call(checkpoint.DELETE, "/x", { method: "DELETE", token: owner.token, params: { ref } });
      expect(refused.status).toBe(409);
      const body = await json<Envelope>(refused);
      expect(body.error.code).toBe("conflict");
      expect(body.error.message).toContain("'uses-public'");
      expect(body.error.details?.usedBy).toEqual([{ jobId: job.id, jobName: "uses-public", status: "running" }]);
    }
    const detail = await json<{ status: { usedBy: unknown[] } }>(await call(checkpoint.GET, "/x", { token: alice.token, params: { ref: "base" } }));
    expect(detail.status.usedBy).toContainEqual({ jobId: job.id, jobName: "uses-public", status: "running" });
    // The owner sees who holds the public checkpoint; a third organization would not.
    const owned = await json<{ status: { usedBy: unknown[] } }>(await call(checkpoint.GET, "/x", { token: bob.token, params: { ref: "bob-shared" } }));
    expect(owned.status.usedBy).toEqual([{ jobId: job.id, jobName: "uses-public", status: "running" }]);
    const stranger = await signUpWithToken("stranger");
    const seen = await json<{ status: { usedBy: unknown[] } }>(await call(checkpoint.GET, "/x", { token: stranger.token, params: { ref: job.checkpoints[1]?.id ?? "" } }));
    expect(seen.status.usedBy).toEqual([]);

    writeFileSync(release, "go");
    expect((await finished(alice, job.id)).status).toBe("succeeded");
    expect((await call(checkpoint.DELETE, "/x", { method: "DELETE", token: bob.token, params: { ref: "bob-shared" } })).status).toBe(204);
  });

  it("stops a job that ignores SIGTERM with SIGKILL after the grace period", async () => {
    // An input of its own: the test ends by deleting it.
    await readyCheckpoint(alice, "stubborn-input", { "model.bin": weights });
    const job = await json<JobResponse>(await launch(alice, { name: "stubborn", type: "training", command: node("ignore-term"), checkpoints: [{ ref: "stubborn-input" }] }));
    await eventually("the job to be ready", async () => (await logText(alice, job.id)).includes("stdout: ready"));
    const pid = Number((await findJobById(suite.database.db, { id: job.id }))?.runnerJobId);
    expect(pid).toBeGreaterThan(0);
    const asked = Date.now();
    const stop = await call(stopRoute.POST, "/x", { method: "POST", token: alice.token, params: { ref: "stubborn" } });
    expect(stop.status).toBe(200);
    // Stop reaches the agent, and through it the command, within 2 s.
    await eventually("the command to get SIGTERM", async () => (await logText(alice, job.id)).includes("stdout: got SIGTERM, ignoring it"), 5_000);
    expect(Date.now() - asked).toBeLessThan(2_000);
    const ended = await finished(alice, job.id);
    expect(Date.now() - asked).toBeGreaterThanOrEqual(900);
    expect(ended).toMatchObject({ status: "stopped", message: "Stopped on request; the command was ended by SIGKILL." });
    expect(await logText(alice, job.id)).toContain("stdout: got SIGTERM, ignoring it");
    await eventually("the agent to exit", async () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    const again = await call(stopRoute.POST, "/x", { method: "POST", token: alice.token, params: { ref: job.id } });
    expect(again.status).toBe(409);
    expect((await call(checkpoint.DELETE, "/x", { method: "DELETE", token: alice.token, params: { ref: "stubborn-input" } })).status).not.toBe(409);
  });

  it("queues beyond CAIRN_MAX_RUNNING_JOBS and stops a queued job at once", async () => {
    await readyCheckpoint(alice, "base2", { "a.bin": "a" });
    const release = sandbox.release("queue");
    const started: JobResponse[] = [];
    await settleJobs(suite.database.db);
    for (const name of ["q1", "q2", "q3", "q4"]) {
      started.push(await json<JobResponse>(await launch(alice, { name, type: "training", command: node("wait"), checkpoints: [{ ref: "base2" }], env: { RELEASE_1: release } })));
    }
    // Each waits for a slot; the queue hands two to agents, whose start makes them running.
    expect(started.map((j) => j.status)).toEqual(["queued", "queued", "queued", "queued"]);
    expect(started.map((j) => j.runner)).toEqual(["local", "local", "local", "local"]);
    await eventually("two jobs to run", async () => {
      const states = await Promise.all(started.map((j) => getJob(alice, j.id)));
      return states.filter((j) => j.status === "running").length === 2 && states.filter((j) => j.status === "queued").length === 2;
    });
    const queued = (await Promise.all(started.map((j) => getJob(alice, j.id)))).filter((j) => j.status === "queued");
    const last = queued.at(-1);
    if (!last) throw new Error("nothing queued");
    const stopped = await json<JobResponse>(await call(stopRoute.POST, "/x", { method: "POST", token: alice.token, params: { ref: last.id } }));
    expect(stopped.status).toBe("stopped");
    expect(stopped.startedAt).toBeNull();
    writeFileSync(release, "go");
    const ends = await Promise.all(started.map((j) => finished(alice, j.id)));
    expect(ends.map((j) => j.status).sort()).toEqual(["stopped", "succeeded", "succeeded", "succeeded"]);
    const listed = await json<{ items: JobResponse[]; total: number; nextCursor: string | null }>(
      await call(jobsRoute.GET, "/x", { token: alice.token, query: { limit: "2", q: "q" } }),
    );
    expect(listed.total).toBe(4);
    expect(listed.items.map((j) => j.name)).toEqual(["q4", "q3"]);
    const next = await json<{ items: JobResponse[] }>(
      await call(jobsRoute.GET, "/x", { token: alice.token, query: { limit: "2", q: "q", cursor: listed.nextCursor ?? "" } }),
    );
    expect(next.items.map((j) => j.name)).toEqual(["q2", "q1"]);
  });

  it("does not let a new job overtake one already waiting in the queue", async () => {
    const base = await readyCheckpoint(alice, "fair-input", { "f.bin": "f" });
    const { db } = suite.database;
    await settleJobs(db);
    // A job another server queued (nobody has kicked this one's scheduler for it yet).
    const id = crypto.randomUUID();
    const waiting = await insertJob(db, {
      id,
      orgId: alice.orgId,
      name: "fair-first",
      type: "training",
      command: node("succeed"),
      envCiphertext: encryptSecret({}, envContext(alice.orgId, id)),
      creatorUserId: alice.id,
      message: "Waiting for a free runner slot.",
    });
    await insertAttachments(db, [{ jobId: id, checkpointId: base, position: 0, mountName: "fair-input", public: false }]);
    const created = await json<JobResponse>(await launch(alice, { name: "fair-second", type: "training", command: node("succeed"), checkpoints: [{ ref: "fair-input" }] }));
    expect(created.status).toBe("queued");
    const [first, second] = await Promise.all([finished(alice, waiting.id), finished(alice, created.id)]);
    expect([first.status, second.status]).toEqual(["succeeded", "succeeded"]);
    // Handed to agents in queue order (the agents then start side by side).
    const [firstRow, secondRow] = await Promise.all([findJobById(db, { id: first.id }), findJobById(db, { id: second.id })]);
    expect(firstRow?.submittedAt?.getTime() ?? Infinity).toBeLessThanOrEqual(secondRow?.submittedAt?.getTime() ?? 0);
  });

  it("keeps jobs inside their organization", async () => {
    const own = await json<JobResponse>(await launch(alice, { name: "alice-only", type: "training", command: node("succeed") }));
    expect((await finished(alice, own.id)).status).toBe("succeeded");
    for (const [handler, extra] of [
      [jobRoute.GET, {}],
      [logsRoute.GET, {}],
      [stopRoute.POST, { method: "POST" }],
    ] as const) {
      const response = await call(handler, "/x", { token: bob.token, params: { ref: "alice-only" }, ...extra });
      expect(response.status).toBe(404);
      expect((await json<Envelope>(response)).error).toEqual({ code: "not_found", message: "Job 'alice-only' was not found." });
    }
    const aliceJob = await getJob(alice, "alice-only");
    expect((await call(jobRoute.GET, "/x", { token: bob.token, params: { ref: aliceJob.id } })).status).toBe(404);
    const bobs = await json<{ items: JobResponse[]; total: number }>(await call(jobsRoute.GET, "/x", { token: bob.token }));
    expect(bobs).toMatchObject({ items: [], total: 0 });
    const viewerList = await call(jobsRoute.GET, "/x", { token: viewer.token, headers: { "x-cairn-org": alice.orgId } });
    expect(viewerList.status).toBe(200);
    const viewerStop = await call(stopRoute.POST, "/x", { method: "POST", token: viewer.token, headers: { "x-cairn-org": alice.orgId }, params: { ref: "alice-only" } });
    expect(viewerStop.status).toBe(403);
  });
});
