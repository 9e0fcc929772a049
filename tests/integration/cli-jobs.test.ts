import { createHash, randomBytes } from "node:crypto";
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { parse as parseYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as checkpointsRoute from "@/app/api/v1/checkpoints/route";
import * as checkpointRoute from "@/app/api/v1/checkpoints/[ref]/route";
import type { CheckpointList, CheckpointResponse } from "@/lib/api/schemas/checkpoints";
import type { JobResponse } from "@/lib/api/schemas/jobs";
import { call, json, useTempDataDir } from "../helpers/api";
import type { ApiServer } from "../helpers/api-server";
import { signUpWithToken, type TestUser } from "../helpers/accounts";
import { openTestDatabase, testDatabases, type TestDatabase } from "../helpers/db";
import { eventually, finished, getJob, jobSandbox, readyCheckpoint, settleJobs, useJobRunner } from "../helpers/jobs";

type Envelope = { error: { code: string; message: string; details?: Record<string, unknown> } };
type CliResult = { code: number; stdout: string; stderr: string };
const sha = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

describe.each(testDatabases)("the CLI's job and checkpoint commands on %s", (kind) => {
  let database: TestDatabase;
  let server: ApiServer;
  let data: ReturnType<typeof useTempDataDir>;
  let sandbox: ReturnType<typeof jobSandbox>;
  let alice: TestUser;
  let bob: TestUser;
  const publicWeights = randomBytes(40_000);

  /** `node bin/cairn.mjs …` as alice, asynchronously: the API server it talks to runs in this process. */
  const cairn = (args: string[], user: TestUser = alice): Promise<CliResult> =>
    promisify(execFile)(process.execPath, [path.join(process.cwd(), "bin/cairn.mjs"), ...args], {
      env: { ...process.env, CAIRN_SERVER: server.url, CAIRN_TOKEN: user.token, XDG_CONFIG_HOME: path.join(data.dir, "cli-config") },
      encoding: "utf8",
    }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" }),
    );
  const node = (mode: string) => [process.execPath, sandbox.script, mode];

  beforeAll(async () => {
    process.env.CAIRN_JOB_STOP_GRACE_SECONDS = "1";
    process.env.CAIRN_CAPTURE_QUIET_SECONDS = "1";
    data = useTempDataDir();
    sandbox = jobSandbox(data.dir);
    database = await openTestDatabase(kind);
    server = await useJobRunner("local");
    alice = await signUpWithToken("cli-alice");
    bob = await signUpWithToken("cli-bob");
    await readyCheckpoint(bob, "bob-weights", { "w.bin": publicWeights });
    const published = await call(checkpointRoute.PATCH, "/x", { method: "PATCH", token: bob.token, params: { ref: "bob-weights" }, body: { visibility: "public" } });
    expect(published.status).toBe(200);
  });
  afterAll(async () => {
    await settleJobs(database.db);
    await server.close();
    await database.close();
    data.cleanup();
  });

  it("records the local paths of a push as spec.fromLocalFiles and names the blob store in status.storageProviderID", async () => {
    const dir = path.join(data.dir, "to-push");
    mkdirSync(path.join(dir, "out", "tok"), { recursive: true });
    writeFileSync(path.join(dir, "out", "model.bin"), randomBytes(2048));
    writeFileSync(path.join(dir, "out", "tok", "vocab.json"), "{}");
    writeFileSync(path.join(dir, "config.json"), '{"a": 1}');
    const pushed = await cairn(["checkpoint", "push", "pushed", "--file", path.join(dir, "out"), "--file", `${path.join(dir, "config.json")}=meta/config.json`]);
    expect(pushed.stderr).not.toContain("error");
    expect(pushed.code).toBe(0);

    const inspected = await cairn(["checkpoint", "inspect", "pushed", "--json"]);
    expect(inspected.code).toBe(0);
    const doc = JSON.parse(inspected.stdout) as CheckpointResponse;
    expect(doc.spec.fromLocalFiles).toEqual([`${path.join(dir, "out")}/`, path.join(dir, "config.json")]);
    expect(doc.status.storageProviderID).toBe(`filesystem:${path.join(data.dir, "blobs")}`);
    expect(doc.status.files?.map((f) => f.path)).toEqual(["meta/config.json", "model.bin", "tok/vocab.json"]);

    const yaml = parseYaml((await cairn(["checkpoint", "inspect", "pushed"])).stdout) as CheckpointResponse;
    expect(yaml.spec.fromLocalFiles).toEqual(doc.spec.fromLocalFiles);
    expect(yaml.status.storageProviderID).toBe(doc.status.storageProviderID);
  });

  it("keeps fromLocalFiles to local checkpoints (422 naming the field)", async () => {
    const refused = await call(checkpointsRoute.POST, "/x", {
      method: "POST",
      token: alice.token,
      body: { name: "web-one", sourceType: "web", sourceUri: "https://example.com/model.bin", fromLocalFiles: ["/tmp/model.bin"] },
    });
    expect(refused.status).toBe(422);
    const message = "fromLocalFiles names the local paths of a push; a web checkpoint reads its files from its source. Leave it out.";
    expect(await json<Envelope>(refused)).toEqual({ error: { code: "validation_failed", message, details: { fields: { fromLocalFiles: message } } } });
  });

  it("runs a job on a public checkpoint with --public-checkpoint, lists it, inspects it and lists its captures", async () => {
    const run = await cairn(["job", "run", "pub-job", "--public-checkpoint", "bob-weights", "-e", "COPY_PATH=w.bin", "-e", "GIVEN=x", "--", ...node("copy-input")]);
    expect(run.stderr).toBe("");
    expect(run.stdout).toMatch(/^Job 'pub-job' is (queued|running) \(id [0-9a-f-]{36}\)\. Follow it with `cairn job logs pub-job --follow`\.\n$/);
    const job = await finished(alice, "pub-job");
    expect(job.status).toBe("succeeded");
    expect(job.checkpoints).toMatchObject([{ name: "bob-weights", public: true, ownerOrgID: bob.orgId }]);
    await eventually("the capture of step-1", async () => (await getJob(alice, "pub-job")).captures.find((c) => c.status === "ready"));

    const listed = await cairn(["job", "list"]);
    expect(listed.code).toBe(0);
    const [header, rule, ...rows] = listed.stdout.trimEnd().split("\n");
    expect(header).toMatch(/^NAME\s+\| TYPE\s+\| STATUS\s+\| CHECKPOINTS\s+\| OUTPUTS \| CREATED AT$/);
    expect(rule).toMatch(/^-+(-\+-+)+$/);
    expect(rows.map((row) => row.split(" | ").map((cell) => cell.trim()))).toContainEqual(["pub-job", "training", "succeeded", "bob-weights", "1", expect.stringMatching(/^\d+[smh]$/)]);
    const asJson = JSON.parse((await cairn(["job", "list", "--status", "succeeded", "--json"])).stdout) as JobResponse[];
    expect(asJson.map((j) => j.name)).toContain("pub-job");
    expect(asJson.every((j) => j.status === "succeeded")).toBe(true);
    expect((await cairn(["job", "list", "--status", "running"])).stdout).toBe("No jobs match these filters.\n");
    expect((await cairn(["job", "list"], bob)).stdout).toBe("No jobs. Start one with `cairn job run <name> --checkpoint <ref> -- <command>`.\n");

    const inspected = await cairn(["job", "inspect", "pub-job"]);
    expect(inspected.code).toBe(0);
    const doc = parseYaml(inspected.stdout) as JobResponse;
    expect(doc).toMatchObject({ id: job.id, name: "pub-job", status: "succeeded", exitCode: 0, envKeys: ["COPY_PATH", "GIVEN"], command: node("copy-input") });
    expect(doc.checkpoints[0]).toMatchObject({ name: "bob-weights", mountPath: "$FLEXAI_INPUT_CHECKPOINT_DIR/bob-weights", public: true });
    expect(JSON.parse((await cairn(["job", "inspect", job.id, "--json"])).stdout)).toEqual(doc);

    const captures = await cairn(["checkpoint", "list", "--job", "pub-job"]);
    expect(captures.code).toBe(0);
    const captureRows = captures.stdout.trimEnd().split("\n").slice(2).map((row) => row.split(" | ").map((cell) => cell.trim()));
    expect(captureRows).toEqual([["pub-job-step-1", "2", expect.stringMatching(/ KB$/), "ready", expect.stringMatching(/^\d+[smh]$/)]]);
    const captured = JSON.parse((await cairn(["checkpoint", "list", "--job", job.id, "--json"])).stdout) as CheckpointResponse[];
    expect(captured.map((c) => c.metadata.name)).toEqual(["pub-job-step-1"]);
    expect(captured[0]?.spec.producedBy).toEqual({ jobId: job.id, jobName: null });
    const copy = await call(checkpointRoute.GET, "/x", { token: alice.token, params: { ref: "pub-job-step-1" } });
    expect((await json<CheckpointResponse>(copy)).status.files?.find((f) => f.path === "copy.bin")?.sha256).toBe(sha(publicWeights));
  });

  it("says which flag named a checkpoint it cannot attach, and where to look", async () => {
    const missing = await cairn(["job", "run", "no-pub", "--public-checkpoint", "no-such-model", "--", "true"]);
    expect(missing).toEqual({
      code: 1,
      stdout: "",
      stderr: "error: --public-checkpoint no-such-model: Checkpoint 'no-such-model' was not found in the public catalog. See `cairn checkpoint list --visibility public`.\n",
    });
    const own = await cairn(["job", "run", "no-own", "--checkpoint", "bob-weights", "--", "true"]);
    expect(own.stderr).toBe("error: --checkpoint bob-weights: Checkpoint 'bob-weights' was not found in this organization. See `cairn checkpoint list`.\n");
    const catalog = await cairn(["checkpoint", "list", "--visibility", "public"]);
    expect(catalog.stdout).toMatch(/^bob-weights +\| 1 +\| /m);
  });

  it("filters the checkpoint list by the producing job in the API, 404 for an unknown job", async () => {
    const byName = await json<CheckpointList>(await call(checkpointsRoute.GET, "/x", { token: alice.token, query: { job: "pub-job" } }));
    expect(byName.items.map((c) => c.metadata.name)).toEqual(["pub-job-step-1"]);
    expect(byName.total).toBe(1);
    const unknown = await call(checkpointsRoute.GET, "/x", { token: alice.token, query: { job: "no-such-job" } });
    expect(unknown.status).toBe(404);
    expect(await json<Envelope>(unknown)).toEqual({ error: { code: "not_found", message: "Job 'no-such-job' was not found." } });
    // Another organization's job is as unknown as a missing one.
    const foreign = await call(checkpointsRoute.GET, "/x", { token: bob.token, query: { job: "pub-job" } });
    expect(foreign.status).toBe(404);

    const cli = await cairn(["checkpoint", "list", "--job", "no-such-job"]);
    expect(cli).toEqual({ code: 1, stdout: "", stderr: "error: Job 'no-such-job' was not found. See `cairn job list` for this organization's jobs.\n" });
  });

  it("stops a running job with `cairn job stop`, and says when there is nothing to stop", async () => {
    const run = await cairn(["job", "run", "waiter", "-e", `RELEASE_1=${sandbox.release("never")}`, "--no-capture-outputs", "--", ...node("wait")]);
    expect(run.code).toBe(0);
    await eventually("waiter to run", async () => (await getJob(alice, "waiter")).status === "running");
    const empty = await cairn(["checkpoint", "list", "--job", "waiter"]);
    expect(empty.stdout).toBe("Job 'waiter' has no captured checkpoints yet: each sub-directory it writes under $FLEXAI_OUTPUT_CHECKPOINT_DIR becomes one.\n");

    const stop = await cairn(["job", "stop", "waiter"]);
    expect(stop).toEqual({
      code: 0,
      stdout: "Job 'waiter' is stopping: its command gets SIGTERM, then SIGKILL after the grace period. Follow it with `cairn job logs waiter --follow`.\n",
      stderr: "",
    });
    expect((await finished(alice, "waiter")).status).toBe("stopped");
    const again = await cairn(["job", "stop", "waiter"]);
    expect(again).toEqual({ code: 1, stdout: "", stderr: "error: Job 'waiter' has already ended (stopped); there is nothing to stop.\n" });
    const unknown = await cairn(["job", "inspect", "no-such-job"]);
    expect(unknown).toEqual({ code: 1, stdout: "", stderr: "error: Job 'no-such-job' was not found. See `cairn job list` for this organization's jobs.\n" });
  });
});
