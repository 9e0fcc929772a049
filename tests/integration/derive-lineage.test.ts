import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as list from "@/app/api/v1/checkpoints/route";
import * as one from "@/app/api/v1/checkpoints/[ref]/route";
import * as file from "@/app/api/v1/checkpoints/[ref]/files/[...path]/route";
import * as commit from "@/app/api/v1/checkpoints/[ref]/commit/route";
import * as logs from "@/app/api/v1/checkpoints/[ref]/logs/route";
import * as derive from "@/app/api/v1/checkpoints/[ref]/derive/route";
import * as preview from "@/app/api/v1/checkpoints/[ref]/derive/preview/route";
import * as checkpointLineage from "@/app/api/v1/checkpoints/[ref]/lineage/route";
import * as jobLineage from "@/app/api/v1/jobs/[ref]/lineage/route";
import type { CheckpointResponse } from "@/lib/api/schemas/checkpoints";
import type { DerivePreview } from "@/lib/api/schemas/derive";
import { LINEAGE_MAX_NODES, type Lineage } from "@/lib/api/schemas/lineage";
import { getDb } from "@/lib/db/client";
import { insertCheckpoint, updateCheckpoint } from "@/lib/db/queries/checkpoints";
import { insertAttachments, insertJob } from "@/lib/db/queries/jobs";
import { checkpoints } from "@/lib/db/schema";
import { call, json, useTempDataDir } from "../helpers/api";
import { startApiServer } from "../helpers/api-server";
import { signUpWithToken, type TestUser } from "../helpers/accounts";
import { openTestDatabase, testDatabases, type TestDatabase } from "../helpers/db";

type Envelope = { error: { code: string; message: string; details?: { fields?: Record<string, string>; status?: string } } };
const sha = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

/** Everything Hugging Face's Trainer (with DeepSpeed) leaves in a checkpoint directory. */
const trainerOutput: Record<string, Buffer> = {
  "config.json": Buffer.from('{"architectures":["TinyForCausalLM"]}'),
  "model.safetensors": randomBytes(40_000),
  "tokenizer.json": Buffer.from("{}"),
  "trainer_state.json": Buffer.from('{"global_step":10}'),
  "optimizer.pt": randomBytes(30_000),
  "scheduler.pt": randomBytes(1_000),
  "rng_state.pth": randomBytes(500),
  "global_step10/mp_rank_00_model_states.pt": randomBytes(20_000),
  "global_step10/zero_pp_rank_0_mp_rank_00_optim_states.pt": randomBytes(25_000),
  latest: Buffer.from("global_step10"),
};
const weightsOnly = ["config.json", "model.safetensors", "tokenizer.json", "trainer_state.json"];

describe.each(testDatabases)("derive and lineage on %s", (kind) => {
  let database: TestDatabase;
  let data: ReturnType<typeof useTempDataDir>;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    data = useTempDataDir();
    database = await openTestDatabase(kind);
    alice = await signUpWithToken("derive");
    bob = await signUpWithToken("other-org");
  });
  afterAll(async () => {
    await database.close();
    data.cleanup();
  });

  async function upload(user: TestUser, name: string, files: Record<string, Buffer>, { seal = true } = {}) {
    const created = await call(list.POST, "/x", { method: "POST", token: user.token, body: { name, sourceType: "local" } });
    expect(created.status).toBe(201);
    for (const [filePath, body] of Object.entries(files)) {
      const put = await call(file.PUT, "/x", { method: "PUT", token: user.token, rawBody: new Uint8Array(body), params: { ref: name, path: filePath.split("/") } });
      expect(put.status).toBe(201);
    }
    if (seal) expect((await call(commit.POST, "/x", { method: "POST", token: user.token, params: { ref: name } })).status).toBe(200);
    return (await json<CheckpointResponse>(created)).metadata.id;
  }
  const deriveFrom = (user: TestUser, ref: string, body: unknown) => call(derive.POST, "/x", { method: "POST", token: user.token, params: { ref }, body });
  const previewOf = (user: TestUser, ref: string, body: unknown) => call(preview.POST, "/x", { method: "POST", token: user.token, params: { ref }, body });
  const get = async (user: TestUser, ref: string) => json<CheckpointResponse>(await call(one.GET, "/x", { token: user.token, params: { ref } }));

  /** Blob rows, blob files in the store (each with its inode and mtime: a rewrite shows), and the distinct bytes the org's live files reference. */
  async function blobCensus(orgId: string) {
    const db = await getDb();
    const rows = (await db.execute(sql`select count(*)::int as n from blobs`)) as unknown as { rows: { n: number }[] };
    const stored = (await db.execute(
      sql`select coalesce(sum(size), 0)::text as bytes from (select distinct f.sha256, f.size from checkpoint_files f join checkpoints c on c.id = f.checkpoint_id where c.org_id = ${orgId} and c.deleted_at is null) d`,
    )) as unknown as { rows: { bytes: string }[] };
    const onDisk = (await readdir(path.join(data.dir, "blobs"), { recursive: true, withFileTypes: true })).filter((e) => e.isFile() && !e.parentPath.includes(`${path.sep}tmp`));
    const files = Object.fromEntries(
      await Promise.all(onDisk.map(async (e) => [e.name, await stat(path.join(e.parentPath, e.name)).then((s) => `${s.ino}:${s.mtimeMs}`)] as const)),
    );
    return { rows: rows.rows[0]?.n, files, storedBytes: Number(stored.rows[0]?.bytes) };
  }

  it("derives weights only: the kept files share the source's blobs, nothing new is stored, and it is ready at once", async () => {
    const sourceId = await upload(alice, "run-step-10", trainerOutput);
    const before = await blobCensus(alice.orgId);

    const previewed = await previewOf(alice, "run-step-10", { preset: "weights-only" });
    expect(previewed.status).toBe(200);
    const plan = await json<DerivePreview>(previewed);
    expect(plan.kept.map((f) => f.path)).toEqual(weightsOnly);
    expect(Object.fromEntries(plan.dropped.map((f) => [f.path, f.reason]))).toEqual({
      "global_step10/mp_rank_00_model_states.pt": "DeepSpeed training state (global_step*/)",
      "global_step10/zero_pp_rank_0_mp_rank_00_optim_states.pt": "optimizer state (*optim*)",
      latest: "DeepSpeed's pointer to its global_step directory (/latest)",
      "optimizer.pt": "optimizer state (*optim*)",
      "rng_state.pth": "RNG state (rng_state*.{pth,pt})",
      "scheduler.pt": "learning-rate scheduler state (scheduler*.{pt,pth,bin})",
    });
    const keptBytes = weightsOnly.reduce((sum, p) => sum + trainerOutput[p].length, 0);
    expect(plan).toMatchObject({ keptFiles: 4, keptBytes, droppedFiles: 6 });

    const response = await deriveFrom(alice, "run-step-10", { name: "run-step-10-weights", preset: "weights-only" });
    expect(response.status).toBe(201);
    const derived = await json<CheckpointResponse>(response);
    expect(derived.spec).toMatchObject({ sourceType: "derived", derivedFrom: sourceId, sourceUri: `checkpoint://${sourceId}`, sourceOptions: { preset: "weights-only" } });
    expect(derived.status).toMatchObject({ status: "ready", size: keptBytes, fileCount: 4, progress: { bytesDone: keptBytes, bytesTotal: keptBytes, filesDone: 4, filesTotal: 4 } });
    expect(derived.status.readyAt).not.toBeNull();
    expect(derived.status.files).toEqual(weightsOnly.map((p) => ({ path: p, size: trainerOutput[p].length, sha256: sha(trainerOutput[p]) })));

    // The same blobs: no blob row, no blob file and no stored byte more than before.
    expect(await blobCensus(alice.orgId)).toEqual(before);
    const again = await get(alice, "run-step-10-weights");
    expect(again.spec.derivedFrom).toBe(sourceId);
    const log = await json<{ items: { message: string }[] }>(await call(logs.GET, "/x", { token: alice.token, params: { ref: derived.metadata.id } }));
    expect(log.items.map((i) => i.message).join("\n")).toContain(`from 'run-step-10' (${sourceId}) (weights only): kept 4 of 10 files`);

    // Deleting the source leaves the derived checkpoint whole.
    expect((await call(one.DELETE, "/x", { method: "DELETE", token: alice.token, params: { ref: "run-step-10" } })).status).toBe(204);
    const download = await call(file.GET, "/x", { token: alice.token, params: { ref: "run-step-10-weights", path: ["model.safetensors"] } });
    expect(download.status).toBe(200);
    expect(sha(Buffer.from(await download.arrayBuffer()))).toBe(sha(trainerOutput["model.safetensors"]));
    expect((await get(alice, "run-step-10-weights")).status.files).toHaveLength(4);
  });

  it("keeps what the include globs name and the exclude globs leave, with or without the preset", async () => {
    await upload(alice, "globs-source", trainerOutput);
    const response = await deriveFrom(alice, "globs-source", { name: "only-json", include: ["*.json", "global_step*/"], exclude: ["tokenizer.json", "**/*optim*"] });
    expect(response.status).toBe(201);
    const derived = await json<CheckpointResponse>(response);
    expect(derived.status.files?.map((f) => f.path)).toEqual(["config.json", "global_step10/mp_rank_00_model_states.pt", "trainer_state.json"]);
    expect(derived.spec.sourceOptions).toEqual({ include: "*.json\nglobal_step*/", exclude: "tokenizer.json\n**/*optim*" });

    const both = await json<DerivePreview>(await previewOf(alice, "globs-source", { preset: "weights-only", exclude: ["*.json"] }));
    expect(both.kept.map((f) => f.path)).toEqual(["model.safetensors"]);
    expect(both.dropped.find((f) => f.path === "config.json")?.reason).toBe("excluded by *.json");

    // A derived checkpoint can be derived from again.
    const twice = await deriveFrom(alice, "only-json", { name: "only-config", include: ["/config.json"] });
    expect(twice.status).toBe(201);
    expect((await json<CheckpointResponse>(twice)).spec.derivedFrom).toBe(derived.metadata.id);
  });

  it("adds no stored bytes, so it succeeds with the organization at its quota", async () => {
    const { storedBytes } = await blobCensus(alice.orgId);
    const saved = process.env.CAIRN_ORG_QUOTA_BYTES;
    process.env.CAIRN_ORG_QUOTA_BYTES = String(storedBytes);
    try {
      const response = await deriveFrom(alice, "globs-source", { name: "at-quota", preset: "weights-only" });
      expect(response.status).toBe(201);
      expect((await blobCensus(alice.orgId)).storedBytes).toBe(storedBytes);
    } finally {
      if (saved === undefined) delete process.env.CAIRN_ORG_QUOTA_BYTES;
      else process.env.CAIRN_ORG_QUOTA_BYTES = saved;
    }
  });

  it("answers each bad derive with the envelope: not ready, nothing kept, name taken, bad globs, unknown fields", async () => {
    await upload(alice, "still-uploading", { "model.safetensors": randomBytes(100) }, { seal: false });
    const notReady = await deriveFrom(alice, "still-uploading", { name: "x", preset: "weights-only" });
    expect(notReady.status).toBe(409);
    expect(await json<Envelope>(notReady)).toEqual({
      error: {
        code: "conflict",
        message: "Checkpoint 'still-uploading' is uploading, not ready: only a ready checkpoint's files can be derived from. Wait until it is ready, then derive from it.",
        details: { status: "uploading" },
      },
    });
    expect((await previewOf(alice, "still-uploading", {})).status).toBe(409);

    const empty = await deriveFrom(alice, "globs-source", { name: "nothing", include: ["*.gguf"] });
    expect(empty.status).toBe(422);
    expect(await json<Envelope>(empty)).toEqual({
      error: {
        code: "validation_failed",
        message: "Nothing would be kept: include drops all 10 files of 'globs-source'. Loosen the include or exclude globs.",
        details: { fields: { include: "keeps none of the 10 files" } },
      },
    });

    const taken = await deriveFrom(alice, "globs-source", { name: "only-json", preset: "weights-only" });
    expect(taken.status).toBe(409);
    expect(await json<Envelope>(taken)).toEqual({
      error: { code: "conflict", message: "A checkpoint named 'only-json' already exists in this organization. Pick another name.", details: { fields: { name: "already taken" } } },
    });

    const badGlob = await deriveFrom(alice, "globs-source", { name: "bad-glob", include: ["*.json", "weights[0-9"] });
    expect(badGlob.status).toBe(422);
    expect((await json<Envelope>(badGlob)).error).toEqual({
      code: "validation_failed",
      message: "Fix these fields and try again — include.1: 'weights[0-9' has a '[' without its ']'.",
      details: { fields: { "include.1": "'weights[0-9' has a '[' without its ']'." } },
    });

    const unknown = await deriveFrom(alice, "globs-source", { name: "bad-field", preset: "everything", copy: true });
    expect(unknown.status).toBe(422);
    expect((await json<Envelope>(unknown)).error.details?.fields).toEqual({
      copy: "Not a field of a derive: send name, preset, include and exclude.",
      preset: "preset must be one of: weights-only.",
    });

    const noName = await deriveFrom(alice, "globs-source", { preset: "weights-only" });
    expect(noName.status).toBe(422);
    expect(Object.keys((await json<Envelope>(noName)).error.details?.fields ?? {})).toEqual(["name"]);

    // `derived` (like `job`) is not a source a checkpoint can be created from.
    const created = await call(list.POST, "/x", { method: "POST", token: alice.token, body: { name: "sneaky", sourceType: "derived", sourceUri: "checkpoint://x" } });
    expect(created.status).toBe(422);
    expect((await json<Envelope>(created)).error.details?.fields?.sourceType).not.toContain("derived");

    // Another organization's checkpoint is not theirs to derive from (a public one neither: see below).
    for (const route of [deriveFrom, previewOf]) {
      const response = await route(bob, "globs-source", { name: "stolen", preset: "weights-only" });
      expect(response.status).toBe(404);
      expect((await json<Envelope>(response)).error.code).toBe("not_found");
    }
  });

  it("`cairn checkpoint derive` previews with --dry-run and derives", async () => {
    const server = await startApiServer();
    const cairn = (args: string[]) =>
      promisify(execFile)(process.execPath, [path.join(process.cwd(), "bin/cairn.mjs"), "checkpoint", "derive", ...args], {
        env: { ...process.env, CAIRN_SERVER: server.url, CAIRN_TOKEN: alice.token, XDG_CONFIG_HOME: path.join(data.dir, "cli-config") },
        encoding: "utf8",
      }).then(
        (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
        (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" }),
      );
    try {
      const dry = await cairn(["globs-source", "--weights-only", "--exclude", "tokenizer.json", "--dry-run"]);
      expect(dry.code).toBe(0);
      expect(dry.stdout).toMatch(/^Deriving from 'globs-source' keeps 3 of 10 files \(.+\) and drops 7 \(.+\)\.\n/);
      expect(dry.stdout).toMatch(/optimizer\.pt +\| [^|]+ \| drop: optimizer state \(\*optim\*\)/);
      expect(dry.stdout).toMatch(/tokenizer\.json +\| [^|]+ \| drop: excluded by tokenizer\.json/);
      expect(dry.stdout).toMatch(/model\.safetensors +\| [^|]+ \| keep/);
      expect((await get(alice, "cli-weights").catch(() => null))?.metadata).toBeUndefined();

      const made = await cairn(["globs-source", "cli-weights", "-w", "-x", "tokenizer.json"]);
      expect(made.stderr).toBe("");
      expect(made.stdout.trim()).toMatch(/^Derived 'cli-weights' from 'globs-source': 3 files, .+, ready\. No bytes were copied\.$/);
      expect((await get(alice, "cli-weights")).spec.sourceType).toBe("derived");

      const again = await cairn(["globs-source", "cli-weights", "-w"]);
      expect(again.code).not.toBe(0);
      expect(again.stderr).toContain("A checkpoint named 'cli-weights' already exists in this organization.");
      const noName = await cairn(["globs-source", "-w"]);
      expect(noName.stderr).toContain("Name the new checkpoint");
    } finally {
      await server.close();
    }
  });

  describe("lineage", () => {
    const ids: Record<string, string> = {};

    beforeAll(async () => {
      const db = await getDb();
      const job = async (orgId: string, name: string, status: "succeeded" | "running" = "succeeded") =>
        (await insertJob(db, { orgId, name, type: "training", command: ["python", "train.py"], envCiphertext: "", status })).id;
      // base ──used──▶ train ──produced──▶ step-100 ──derived──▶ step-100-weights ──used──▶ eval ──produced──▶ eval-out
      ids.base = await upload(alice, "base", { "model.safetensors": randomBytes(1000) });
      ids.train = await job(alice.orgId, "train");
      ids.step = await upload(alice, "step-100", trainerOutput);
      await updateCheckpoint(db, { orgId: alice.orgId, id: ids.step }, { sourceType: "job", sourceUri: `job://${ids.train}/step-100`, producedByJobId: ids.train });
      ids.weights = (await json<CheckpointResponse>(await deriveFrom(alice, "step-100", { name: "step-100-weights", preset: "weights-only" }))).metadata.id;
      ids.eval = await job(alice.orgId, "eval", "running");
      ids.evalOut = await upload(alice, "eval-out", { "metrics.json": Buffer.from("{}") });
      await updateCheckpoint(db, { orgId: alice.orgId, id: ids.evalOut }, { sourceType: "job", producedByJobId: ids.eval });
      await insertAttachments(db, [
        { jobId: ids.train, checkpointId: ids.base, position: 0, mountName: "base" },
        { jobId: ids.eval, checkpointId: ids.weights, position: 0, mountName: "step-100-weights" },
      ]);
      // Bob's organization attaches Alice's weights once she publishes them, and captures its own output.
      expect((await call(one.PATCH, "/x", { method: "PATCH", token: alice.token, params: { ref: ids.weights }, body: { visibility: "public" } })).status).toBe(200);
      ids.bobJob = await job(bob.orgId, "bob-finetune");
      ids.bobOut = await upload(bob, "bob-out", { "adapter.safetensors": randomBytes(100) });
      await updateCheckpoint(db, { orgId: bob.orgId, id: ids.bobOut }, { sourceType: "job", producedByJobId: ids.bobJob });
      await insertAttachments(db, [{ jobId: ids.bobJob, checkpointId: ids.weights, position: 0, mountName: "step-100-weights", public: true }]);
    });

    const lineageOf = async (user: TestUser, ref: string, depth?: number, route: unknown = checkpointLineage.GET) => {
      const response = await call(route, "/x", { token: user.token, params: { ref }, query: depth === undefined ? {} : { depth: String(depth) } });
      expect(response.status).toBe(200);
      return json<Lineage>(response);
    };
    const names = (lineage: Lineage) => Object.fromEntries(lineage.nodes.map((n) => [n.name, n.depth]));
    const edgeNames = (lineage: Lineage) => {
      const name = new Map(lineage.nodes.map((n) => [n.id, n.name]));
      return lineage.edges.map((e) => `${name.get(e.from)} -${e.kind}-> ${name.get(e.to)}`).sort();
    };

    it("walks produced by, used, derived from and onward, to the depth asked (2 by default)", async () => {
      const near = await lineageOf(alice, "step-100", 1);
      expect(near.root).toEqual({ id: ids.step, kind: "checkpoint" });
      expect(names(near)).toEqual({ "step-100": 0, train: 1, "step-100-weights": 1 });
      expect(edgeNames(near)).toEqual(["step-100 -derived-> step-100-weights", "train -produced-> step-100"]);
      expect(near.nodes.find((n) => n.name === "train")).toEqual({ id: ids.train, kind: "job", name: "train", status: "succeeded", depth: 1, ownerOrgID: alice.orgId });

      const two = await lineageOf(alice, "step-100");
      expect(two.depth).toBe(2);
      expect(names(two)).toEqual({ "step-100": 0, train: 1, "step-100-weights": 1, base: 2, eval: 2 });

      const three = await lineageOf(alice, ids.step, 3);
      expect(names(three)).toEqual({ "step-100": 0, train: 1, "step-100-weights": 1, base: 2, eval: 2, "eval-out": 3 });
      expect(edgeNames(three)).toEqual([
        "base -used-> train",
        "eval -produced-> eval-out",
        "step-100 -derived-> step-100-weights",
        "step-100-weights -used-> eval",
        "train -produced-> step-100",
      ]);
      expect(three.truncated).toBe(false);
    });

    it("has a job variant", async () => {
      const lineage = await lineageOf(alice, "train", 1, jobLineage.GET);
      expect(lineage.root).toEqual({ id: ids.train, kind: "job" });
      expect(names(lineage)).toEqual({ train: 0, base: 1, "step-100": 1 });
      expect(edgeNames(lineage)).toEqual(["base -used-> train", "train -produced-> step-100"]);
    });

    it("never shows another organization's jobs or private checkpoints, only public ones as the catalog does", async () => {
      // Alice's view of her public weights: Bob's job that uses them stays hidden.
      const alices = await lineageOf(alice, "step-100-weights", 5);
      expect(Object.keys(names(alices)).sort()).toEqual(["base", "eval", "eval-out", "step-100", "step-100-weights", "train"]);

      // Bob sees the public weights, his own job and its output — none of Alice's jobs or private checkpoints.
      const bobs = await lineageOf(bob, ids.weights, 5);
      expect(names(bobs)).toEqual({ "step-100-weights": 0, "bob-finetune": 1, "bob-out": 2 });
      expect(edgeNames(bobs)).toEqual(["bob-finetune -produced-> bob-out", "step-100-weights -used-> bob-finetune"]);
      expect(bobs.nodes.find((n) => n.name === "step-100-weights")?.ownerOrgID).toBe(alice.orgId);
      const fromJob = await lineageOf(bob, "bob-finetune", 5, jobLineage.GET);
      expect(Object.keys(names(fromJob)).sort()).toEqual(["bob-finetune", "bob-out", "step-100-weights"]);

      const publicOne = await deriveFrom(bob, ids.weights, { name: "bobs-copy" });
      expect(publicOne.status).toBe(404);

      for (const [ref, route] of [["step-100", checkpointLineage.GET], [ids.step, checkpointLineage.GET], ["train", jobLineage.GET], [ids.train, jobLineage.GET]] as const) {
        const response = await call(route, "/x", { token: bob.token, params: { ref } });
        expect(response.status, ref).toBe(404);
        expect((await json<Envelope>(response)).error.code).toBe("not_found");
      }
    });

    it("refuses a depth outside 1–5 with the envelope", async () => {
      for (const depth of ["0", "6", "two"]) {
        const response = await call(checkpointLineage.GET, "/x", { token: alice.token, params: { ref: "step-100" }, query: { depth } });
        expect(response.status, depth).toBe(400);
        const body = await json<Envelope>(response);
        expect(body.error.code).toBe("invalid_request");
        expect(Object.keys(body.error.details?.fields ?? {})).toEqual(["depth"]);
      }
    });

    it(`stops at ${LINEAGE_MAX_NODES} nodes and says so`, async () => {
      const db = await getDb();
      const sweep = (await insertJob(db, { orgId: alice.orgId, name: "sweep", type: "training", command: ["true"], envCiphertext: "" })).id;
      for (let i = 0; i < LINEAGE_MAX_NODES + 10; i += 1) {
        await insertCheckpoint(db, { orgId: alice.orgId, name: `sweep-${i}`, sourceType: "job", status: "ready", producedByJobId: sweep });
      }
      const lineage = await lineageOf(alice, "sweep", 1, jobLineage.GET);
      expect(lineage.nodes).toHaveLength(LINEAGE_MAX_NODES);
      expect(lineage.edges).toHaveLength(LINEAGE_MAX_NODES - 1);
      expect(lineage.truncated).toBe(true);
      // Deleted checkpoints are gone from the graph.
      await db.update(checkpoints).set({ deletedAt: new Date() }).where(sql`${checkpoints.producedByJobId} = ${sweep}`);
      expect((await lineageOf(alice, "sweep", 1, jobLineage.GET)).nodes).toHaveLength(1);
    });
  });
});
