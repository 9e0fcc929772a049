import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as checkpointsRoute from "@/app/api/v1/checkpoints/route";
import * as checkpointRoute from "@/app/api/v1/checkpoints/[ref]/route";
import * as fileRoute from "@/app/api/v1/checkpoints/[ref]/files/[...path]/route";
import * as meRoute from "@/app/api/v1/me/route";
import * as storageRoute from "@/app/api/v1/storage/route";
import * as auditRoute from "@/app/api/v1/audit/route";
import * as policiesRoute from "@/app/api/v1/retention-policies/route";
import * as rulePreviewRoute from "@/app/api/v1/retention-policies/preview/route";
import * as policyRoute from "@/app/api/v1/retention-policies/[id]/route";
import * as policyPreviewRoute from "@/app/api/v1/retention-policies/[id]/preview/route";
import * as policyApplyRoute from "@/app/api/v1/retention-policies/[id]/apply/route";
import type { AuditList } from "@/lib/api/schemas/audit";
import type { CheckpointList, CheckpointResponse } from "@/lib/api/schemas/checkpoints";
import type { RetentionApplyResponse, RetentionPolicyResponse, RetentionPreviewResponse } from "@/lib/api/schemas/retention";
import type { StorageResponse } from "@/lib/api/schemas/storage";
import type { JobResponse } from "@/lib/api/schemas/jobs";
import { startFactsWorkers } from "@/lib/model-facts/worker";
import { startRetentionWorkers } from "@/lib/retention/worker";
import { getBlobStore } from "@/lib/storage";
import { orgUsage, storageOverview } from "@/lib/usage/service";
import { call, json, useTempDataDir } from "../helpers/api";
import type { ApiServer } from "../helpers/api-server";
import { signUpWithToken, type TestUser } from "../helpers/accounts";
import { openTestDatabase, testDatabases, type TestDatabase } from "../helpers/db";
import { eventually, finished, jobSandbox, launch, readyCheckpoint, settleJobs, useJobRunner } from "../helpers/jobs";

type Envelope = { error: { code: string; message: string; details?: { fields?: Record<string, string> } } };

/**
 * A training job writing `steps` checkpoints one after the other, each a directory with its own
 * weights, the tokenizer every step shares, and a Hugging Face trainer_state.json with its eval loss.
 */
function trainingCommand(losses: number[], tokenizer: string, releaseFile?: string): string[] {
  const script = `
    const fs = require("node:fs"), path = require("node:path"), crypto = require("node:crypto");
    const out = process.env.FLEXAI_OUTPUT_CHECKPOINT_DIR;
    const losses = ${JSON.stringify(losses)};
    (async () => {
      for (const [i, loss] of losses.entries()) {
        const dir = path.join(out, "step-" + (i + 1) * 100);
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, "weights.dat"), crypto.randomBytes(20000));
        fs.writeFileSync(path.join(dir, "tokenizer.json"), ${JSON.stringify(tokenizer)});
        fs.writeFileSync(path.join(dir, "trainer_state.json"), JSON.stringify({
          global_step: (i + 1) * 100, epoch: (i + 1) / 10,
          log_history: [{ loss: loss + 0.1, step: (i + 1) * 100 }, { eval_loss: loss, step: (i + 1) * 100 }],
        }));
        console.log("wrote step-" + (i + 1) * 100);
        await new Promise((r) => setTimeout(r, 1500));
      }
      const release = ${JSON.stringify(releaseFile ?? null)};
      while (release && !fs.existsSync(release)) await new Promise((r) => setTimeout(r, 100));
    })();`;
  return [process.execPath, "-e", script];
}

describe.each(testDatabases)("storage and retention on %s", (kind) => {
  let database: TestDatabase;
  let data: ReturnType<typeof useTempDataDir>;
  let server: ApiServer;
  let sandbox: ReturnType<typeof jobSandbox>;

  beforeAll(async () => {
    process.env.CAIRN_CAPTURE_QUIET_SECONDS = "1";
    process.env.CAIRN_CAPTURE_LINGER_SECONDS = "0";
    data = useTempDataDir();
    sandbox = jobSandbox(data.dir);
    database = await openTestDatabase(kind);
    server = await useJobRunner("local");
    await startFactsWorkers();
    await startRetentionWorkers();
  });
  afterAll(async () => {
    delete process.env.CAIRN_ORG_QUOTA_BYTES;
    await settleJobs(database.db);
    await server.close();
    await database.close();
    data.cleanup();
  });

  const get = async <T>(user: TestUser, handler: unknown, query: Record<string, string> = {}, params: Record<string, unknown> = {}) => {
    const response = await call(handler, "/x", { token: user.token, query, params });
    if (response.status !== 200) throw new Error(`${response.status} ${await response.text()}`);
    return json<T>(response);
  };
  const post = (user: TestUser, handler: unknown, body?: unknown, params: Record<string, unknown> = {}) =>
    call(handler, "/x", { method: "POST", token: user.token, body, params });
  const storage = (user: TestUser) => get<StorageResponse>(user, storageRoute.GET);
  const audit = (user: TestUser) => get<AuditList>(user, auditRoute.GET);

  it("counts a shared blob once: unique bytes against logical, exclusive bytes per checkpoint, the quota on unique bytes", async () => {
    const user = await signUpWithToken("storage");
    const shared = randomBytes(30_000);
    const onlyA = randomBytes(10_000);
    const onlyB = randomBytes(20_000);
    // `a` holds its own bytes twice (two paths, one blob), and shares `shared` with `b` and `c`.
    const a = await readyCheckpoint(user, "a", { "shared.bin": shared, "own.bin": onlyA, "copy/own.bin": onlyA });
    await readyCheckpoint(user, "b", { "shared.bin": shared, "own.bin": onlyB });
    await readyCheckpoint(user, "c", { "renamed-shared.bin": shared });

    const before = await storage(user);
    expect(before).toMatchObject({ usedBytes: 60_000, logicalBytes: 130_000, savedBytes: 70_000, reservedBytes: 0, checkpointCount: 3, blobCount: 3 });
    expect(before.checkpoints.map((c) => [c.name, c.logicalBytes, c.exclusiveBytes, c.sharedBytes])).toEqual([
      ["b", 50_000, 20_000, 30_000],
      ["a", 50_000, 10_000, 40_000],
      ["c", 30_000, 0, 30_000],
    ]);
    expect(before.series).toEqual([{ jobId: null, jobName: null, checkpoints: 3, logicalBytes: 130_000, exclusiveBytes: 60_000 }]);
    const me = await get<{ org: { usageBytes: number; logicalBytes: number } }>(user, meRoute.GET);
    expect(me.org).toMatchObject({ usageBytes: 60_000, logicalBytes: 130_000 });
    // The same answer from the memo large organizations get, and again after a change.
    expect(await orgUsage(database.db, { orgId: user.orgId }, { memoFrom: 0 })).toMatchObject({ storedBytes: 60_000, logicalBytes: 130_000 });

    // 65 KB of quota: 130 KB logical is far past it, but 60 KB of unique bytes leave room for 5 KB.
    process.env.CAIRN_ORG_QUOTA_BYTES = "65000";
    const d = await json<CheckpointResponse>(await post(user, checkpointsRoute.POST, { name: "d", sourceType: "local" }));
    const put = (path: string, bytes: Buffer) =>
      call(fileRoute.PUT, "/x", { method: "PUT", token: user.token, rawBody: new Uint8Array(bytes), headers: { "content-length": String(bytes.length) }, params: { ref: d.metadata.id, path: [path] } });
    expect((await put("small.bin", randomBytes(4_000))).status).toBe(201);
    const refused = await put("big.bin", randomBytes(6_000));
    expect(refused.status).toBe(413);
    const envelope = await json<Envelope>(refused);
    expect(envelope.error.code).toBe("quota_exceeded");
    expect(envelope.error.details).toMatchObject({ usageBytes: 64_000, quotaBytes: 65_000, missingBytes: 5_000 });
    delete process.env.CAIRN_ORG_QUOTA_BYTES;
    expect(await orgUsage(database.db, { orgId: user.orgId }, { memoFrom: 0 })).toMatchObject({ storedBytes: 64_000, logicalBytes: 134_000 });

    // Deleting `a` frees what only it held (its own bytes, once); the shared blob stays for `b` and `c`.
    const sharedSha = (await get<CheckpointResponse>(user, checkpointRoute.GET, {}, { ref: "a" })).status.files?.find((f) => f.path === "shared.bin")?.sha256 ?? "";
    const ownSha = (await get<CheckpointResponse>(user, checkpointRoute.GET, {}, { ref: "a" })).status.files?.find((f) => f.path === "own.bin")?.sha256 ?? "";
    expect((await call(checkpointRoute.DELETE, "/x", { method: "DELETE", token: user.token, params: { ref: a } })).status).toBe(204);
    const after = await storage(user);
    expect(after).toMatchObject({ usedBytes: 54_000, logicalBytes: 84_000 });
    expect(after.checkpoints.find((c) => c.name === "c")).toMatchObject({ exclusiveBytes: 0 });
    // The memo large organizations get answers the same, and moves with a rename or a new file.
    const memo = () => storageOverview(database.db, { orgId: user.orgId, limit: 50 }, { memoFrom: 0 });
    expect(await memo()).toEqual(after);
    await call(checkpointRoute.PATCH, "/x", { method: "PATCH", token: user.token, body: { name: "c2", pinned: true }, params: { ref: "c" } });
    expect((await memo()).checkpoints.map((c) => c.name)).toEqual(["b", "d", "c2"]);
    expect((await put("more.bin", randomBytes(1_000))).status).toBe(201);
    expect(await memo()).toMatchObject({ usedBytes: 55_000, logicalBytes: 85_000 });
    expect(await getBlobStore().has(ownSha)).toBe(false);
    expect(await getBlobStore().has(sharedSha)).toBe(true);
    const events = await audit(user);
    expect(events.items).toHaveLength(1);
    expect(events.items[0]).toMatchObject({
      action: "checkpoint.delete",
      actor: { kind: "user", id: user.id, name: user.email },
      target: { kind: "checkpoint", id: a, name: "a" },
      details: { bytesFreed: 10_000, logicalBytes: 50_000, fileCount: 3, blobsReleased: 1 },
    });

    // Another organization holding the same bytes: counted for it too, and kept when this one lets go.
    const other = await signUpWithToken("storage-other");
    await readyCheckpoint(other, "mine", { "x.bin": onlyB });
    expect((await storage(other)).usedBytes).toBe(20_000);
    await call(checkpointRoute.DELETE, "/x", { method: "DELETE", token: user.token, params: { ref: "b" } });
    expect((await audit(user)).items[0]?.details).toMatchObject({ bytesFreed: 20_000, blobsReleased: 0 });
    expect((await storage(other)).usedBytes).toBe(20_000);
  });

  it("answers bad storage, audit and policy requests with the error envelope", async () => {
    const user = await signUpWithToken("storage-errors");
    const badLimit = await call(storageRoute.GET, "/x", { token: user.token, query: { limit: "0" } });
    expect(badLimit.status).toBe(400);
    expect((await json<Envelope>(badLimit)).error.code).toBe("invalid_request");
    const badCursor = await call(auditRoute.GET, "/x", { token: user.token, query: { cursor: "abc" } });
    expect(await json(badCursor)).toEqual({ error: { code: "invalid_request", message: "The cursor is not valid. Start again from the first page." } });

    const invalid = async (body: unknown) => {
      const response = await post(user, policiesRoute.POST, body);
      expect(response.status).toBe(422);
      const envelope = await json<Envelope>(response);
      expect(envelope.error.code).toBe("validation_failed");
      return envelope.error.details?.fields;
    };
    expect(await invalid({ name: "p", match: {}, keepLatest: 3 })).toEqual({
      match: "Say which checkpoints the policy covers: a job name glob, a checkpoint name glob, or both.",
    });
    expect(await invalid({ name: "p", match: { jobName: "run-*" } })).toEqual({ keepLatest: "Say what to keep: the latest N, the best K by a metric, or both." });
    expect(await invalid({ name: "p", match: { jobName: "Run %" }, keepLatest: 3 })).toEqual({ "match.jobName": "Use a-z, 0-9, '.', '_', '-' and the wildcards * and ?." });
    expect(await invalid({ name: "p", match: { jobName: "r*" }, keepBest: { k: 2, metric: "eval_loss", mode: "lowest" } })).toEqual({ "keepBest.mode": "mode must be min or max" });
    expect(await invalid({ name: "", match: { jobName: "r*" }, keepLatest: 0 })).toEqual({ name: "Name the policy.", keepLatest: "keepLatest must be a whole number from 1 to 10000" });
    expect(await invalid({ name: "p", match: { jobName: "r*" }, keepLatest: 1, delete: true })).toEqual({ delete: 'Unrecognized key: "delete"' });
    const missing = await call(policyRoute.DELETE, "/x", { method: "DELETE", token: user.token, params: { id: "not-a-uuid" } });
    expect(await json(missing)).toEqual({ error: { code: "not_found", message: "That retention policy was not found." } });

    // Another organization's policy is not there at all.
    const policy = await json<RetentionPolicyResponse>(await post(user, policiesRoute.POST, { name: "mine", match: { jobName: "r*" }, keepLatest: 1 }));
    const stranger = await signUpWithToken("storage-stranger");
    const notFound = { error: { code: "not_found", message: `Retention policy '${policy.id}' was not found.` } };
    for (const [handler, method] of [[policyRoute.GET, "GET"], [policyRoute.DELETE, "DELETE"], [policyPreviewRoute.POST, "POST"], [policyApplyRoute.POST, "POST"]] as const) {
      const response = await call(handler, "/x", { method, token: stranger.token, params: { id: policy.id } });
      expect(response.status).toBe(404);
      expect(await json(response)).toEqual(notFound);
    }
    expect((await get<{ items: unknown[] }>(stranger, policiesRoute.GET)).items).toEqual([]);
    expect((await get<AuditList>(stranger, auditRoute.GET)).items).toEqual([]);
    expect((await get<{ items: RetentionPolicyResponse[] }>(user, policiesRoute.GET)).items.map((p) => p.name)).toEqual(["mine"]);
    expect((await audit(user)).items.map((e) => [e.action, e.target.name])).toEqual([["retention-policy.create", "mine"]]);
  });

  it("previews, then applies, a policy on a job series of 10 captures with eval losses; pinned ones stay", async () => {
    const user = await signUpWithToken("retention");
    const losses = [2.0, 1.5, 1.2, 0.9, 1.1, 0.7, 0.95, 0.8, 1.0, 0.85];
    const tokenizer = JSON.stringify({ vocab: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`token${i}`, i])) });
    const created = await launch(user, { name: "sweep", type: "training", command: trainingCommand(losses, tokenizer) });
    expect(created.status).toBe(201);
    const job = await json<JobResponse>(created);
    const done = await finished(user, job.id, 120_000);
    expect(done.captures.map((c) => c.status)).toEqual(Array(10).fill("ready"));
    // The eval losses come from each trainer_state.json, read by the model facts workers.
    const series = await eventually("the model facts of all 10 captures", async () => {
      const list = await get<CheckpointList>(user, checkpointsRoute.GET, { job: "sweep", sort: "createdAt", limit: "50" });
      return list.items.length === 10 && list.items.every((c) => typeof c.status.model?.metrics.eval_loss === "number") ? list.items : null;
    }, 60_000);
    expect(series.map((c) => c.metadata.name)).toEqual(losses.map((_, i) => `sweep-step-${(i + 1) * 100}`));
    const before = await storage(user);
    expect(before.series).toEqual([{ jobId: job.id, jobName: "sweep", checkpoints: 10, logicalBytes: before.logicalBytes, exclusiveBytes: before.usedBytes }]);
    const tokenizerBytes = Buffer.byteLength(tokenizer);
    expect(before.usedBytes).toBe(before.logicalBytes - 9 * tokenizerBytes);

    // Keep the latest 2 (steps 1000, 900) and the best 2 by eval_loss (0.7 at 600, 0.8 at 800).
    const rule = { match: { jobName: "sweep" }, keepLatest: 2, keepBest: { k: 2, metric: "eval_loss", mode: "min" } };
    const preview = await json<RetentionPreviewResponse>(await post(user, rulePreviewRoute.POST, rule));
    const stepsOf = (items: { name: string }[]) => items.map((i) => Number(i.name.replace("sweep-step-", "")));
    expect(stepsOf(preview.delete)).toEqual([100, 200, 300, 400, 500, 700]);
    expect(preview.keep.map((k) => [Number(k.name.replace("sweep-step-", "")), k.reason])).toEqual([
      [1000, "latest"],
      [900, "latest"],
      [800, "best"],
      [600, "best"],
    ]);
    expect(preview.matched).toBe(10);
    // Each deletion frees its own weights and trainer state; the shared tokenizer stays with the kept ones.
    const sizes = new Map(series.map((c) => [c.metadata.name, c.status.size]));
    for (const item of preview.delete) expect(item.bytesFreed).toBe((sizes.get(item.name) ?? 0) - tokenizerBytes);
    expect(preview.bytesFreed).toBe(preview.delete.reduce((sum, d) => sum + d.bytesFreed, 0));

    // Pinned is always kept.
    await call(checkpointRoute.PATCH, "/x", { method: "PATCH", token: user.token, body: { pinned: true }, params: { ref: "sweep-step-300" } });
    const pinned = await get<CheckpointResponse>(user, checkpointRoute.GET, {}, { ref: "sweep-step-300" });
    expect(pinned.metadata.pinned).toBe(true);

    const saved = await post(user, policiesRoute.POST, { name: "sweep: latest 2, best 2", ...rule });
    expect(saved.status).toBe(201);
    const policy = await json<RetentionPolicyResponse>(saved);
    expect(policy).toMatchObject({ keepLatest: 2, keepBest: rule.keepBest, summary: "Keep the latest 2 and the best 2 by eval_loss (lowest)", lastAppliedAt: null });
    const savedPreview = await json<RetentionPreviewResponse>(await post(user, policyPreviewRoute.POST, undefined, { id: policy.id }));
    expect(stepsOf(savedPreview.delete)).toEqual([100, 200, 400, 500, 700]);
    expect(savedPreview.keep.find((k) => k.name === "sweep-step-300")).toMatchObject({ reason: "pinned", message: "Pinned" });

    const applied = await json<RetentionApplyResponse>(await post(user, policyApplyRoute.POST, undefined, { id: policy.id }));
    expect(stepsOf(applied.deleted)).toEqual([100, 200, 400, 500, 700]);
    expect(applied.skipped).toEqual([]);
    expect(applied.bytesFreed).toBe(savedPreview.bytesFreed);
    const left = await get<CheckpointList>(user, checkpointsRoute.GET, { job: "sweep", sort: "createdAt" });
    expect(stepsOf(left.items.map((c) => c.metadata))).toEqual([300, 600, 800, 900, 1000]);
    const after = await storage(user);
    expect(after.usedBytes).toBe(before.usedBytes - applied.bytesFreed);

    const events = (await audit(user)).items.filter((e) => e.action === "checkpoint.delete");
    expect(events).toHaveLength(5);
    for (const event of events) {
      expect(event.actor).toEqual({ kind: "policy", id: policy.id, name: "sweep: latest 2, best 2" });
      expect(event.details.reason).toBe("Keep the latest 2 and the best 2 by eval_loss (lowest) of jobs 'sweep'");
    }
    expect(events.reduce((sum, e) => sum + Number(e.details.bytesFreed), 0)).toBe(applied.bytesFreed);
    // Applying again deletes nothing more.
    expect((await json<RetentionApplyResponse>(await post(user, policyApplyRoute.POST, undefined, { id: policy.id }))).deleted).toEqual([]);
    const listed = await get<{ items: RetentionPolicyResponse[] }>(user, policiesRoute.GET);
    expect(listed.items[0]?.lastAppliedAt).not.toBeNull();
  }, 240_000);

  it("applies a saved policy after each capture, keeping a checkpoint a running job uses", async () => {
    const user = await signUpWithToken("retention-auto");
    await readyCheckpoint(user, "rolling-seed", { "w.bin": randomBytes(1000) });
    const policy = await json<RetentionPolicyResponse>(
      await post(user, policiesRoute.POST, { name: "rolling", match: { checkpointName: "rolling-*" }, keepLatest: 2 }),
    );
    // The seed matches the glob and is not among the latest 2, but the running job holds it.
    const release = sandbox.release("rolling");
    const created = await launch(user, {
      name: "rolling",
      type: "training",
      command: trainingCommand([1, 1, 1, 1, 1], "{}", release),
      checkpoints: [{ ref: "rolling-seed" }],
    });
    const job = await json<JobResponse>(created);
    const names = async () => (await get<CheckpointList>(user, checkpointsRoute.GET, { q: "rolling-", sort: "createdAt" })).items.map((c) => c.metadata.name);
    const deletions = async () => (await audit(user)).items.filter((e) => e.action === "checkpoint.delete");
    await eventually("the 5 captures to land and the policy to delete all but the latest 2", async () => (await deletions()).length === 3, 60_000);
    expect(await names()).toEqual(["rolling-seed", "rolling-step-400", "rolling-step-500"]);
    const deleted = await deletions();
    expect(deleted.map((e) => e.target.name).sort()).toEqual(["rolling-step-100", "rolling-step-200", "rolling-step-300"]);
    for (const event of deleted) expect(event.actor).toEqual({ kind: "policy", id: policy.id, name: "rolling" });

    // Once the job has ended it holds the seed no more: the next pass takes it.
    writeFileSync(release, "go");
    expect((await finished(user, job.id, 60_000)).status).toBe("succeeded");
    const applied = await json<RetentionApplyResponse>(await post(user, policyApplyRoute.POST, undefined, { id: policy.id }));
    expect(applied.deleted.map((d) => d.name)).toEqual(["rolling-seed"]);
    expect(await names()).toEqual(["rolling-step-400", "rolling-step-500"]);
  }, 240_000);
});
