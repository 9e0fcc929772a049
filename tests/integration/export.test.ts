import { randomBytes } from "node:crypto";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { BlobServiceClient } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as one from "@/app/api/v1/checkpoints/[ref]/route";
import * as file from "@/app/api/v1/checkpoints/[ref]/files/[...path]/route";
import * as logs from "@/app/api/v1/checkpoints/[ref]/logs/route";
import * as exportRoute from "@/app/api/v1/checkpoints/[ref]/export/route";
import * as exportsRoute from "@/app/api/v1/checkpoints/[ref]/exports/route";
import * as archive from "@/app/api/v1/checkpoints/[ref]/archive/route";
import * as connections from "@/app/api/v1/connections/route";
import type { ExportListResponse, ExportResponse } from "@/lib/api/schemas/exports";
import { getDb } from "@/lib/db/client";
import { insertExport } from "@/lib/db/queries/exports";
import { runExport } from "@/lib/export/run";
import { recoverOrphanedExports, startExportWorkers } from "@/lib/export/worker";
import { guardedAgents } from "@/lib/net/agents";
import { ALLOW_ENV } from "@/lib/net/guard";
import { addMember, call, createCheckpoint, expectError, getCheckpoint, json, readyCheckpoint, testDatabases, useApiSuite, type Envelope } from "../helpers/api-suite";
import { startAzurite } from "../helpers/azurite";
import { startGcsPeer } from "../helpers/gcs-peer";
import { startS3rver } from "../helpers/s3";


const MiB = 1024 * 1024;
// One file above the 16 MiB part size, so S3 goes through a multipart upload.
const contents: Record<string, Buffer> = {
  "model-00001.safetensors": randomBytes(17 * MiB + 3),
  "config.json": Buffer.from('{"model_type":"llama"}\n'),
  "tokenizer/vocab.json": randomBytes(70_000),
  "tokenizer/merges.txt": randomBytes(5),
  "empty.txt": Buffer.alloc(0),
};
const small = Object.fromEntries(Object.entries(contents).filter(([, bytes]) => bytes.length < MiB));

let s3: Awaited<ReturnType<typeof startS3rver>>;
let azurite: Awaited<ReturnType<typeof startAzurite>>;
let gcs: Awaited<ReturnType<typeof startGcsPeer>>;
const originalAllow = process.env[ALLOW_ENV];
const originalEmulator = process.env.STORAGE_EMULATOR_HOST;

beforeAll(async () => {
  const started = await Promise.allSettled([
    startS3rver(["exports", "other"]).then((peer) => (s3 = peer)),
    startAzurite().then((peer) => (azurite = peer)),
    startGcsPeer().then((peer) => (gcs = peer)),
  ]);
  for (const result of started) if (result.status === "rejected") throw result.reason;
  gcs.createBucket("gcs-exports");
  await BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient("exports").create();
}, 60_000);

afterAll(async () => {
  await Promise.all([s3?.stop(), azurite?.stop(), gcs?.stop()]);
  if (originalAllow === undefined) delete process.env[ALLOW_ENV];
  else process.env[ALLOW_ENV] = originalAllow;
  if (originalEmulator === undefined) delete process.env.STORAGE_EMULATOR_HOST;
  else process.env.STORAGE_EMULATOR_HOST = originalEmulator;
});

describe.each(testDatabases)("export to S3, Azure and GCS on %s", (kind) => {
  const { owner, stranger, viewer } = useApiSuite(kind, { users: ["owner", "stranger", "viewer"] }).users;

  const post = (ref: string, body: unknown, token = owner.token) => call(exportRoute.POST, "/x", { method: "POST", token, params: { ref }, body });
  const exportsOf = async (ref: string) => json<ExportListResponse>(await call(exportsRoute.GET, "/x", { token: owner.token, params: { ref } }));
  const statusOf = async (ref: string) => (await getCheckpoint(owner, ref)).status.status;
  const exportNow = async (ref: string, body: { connection: string; destinationPath: string }): Promise<ExportResponse> => {
    const started = await post(ref, body);
    expect(started.status, await started.clone().text()).toBe(202);
    const { id, status } = await json<{ id: string; status: string }>(started);
    expect(status).toBe("queued");
    expect(await statusOf(ref)).toBe("exporting");
    await runExport(await getDb(), id);
    const found = (await exportsOf(ref)).items.find((item) => item.id === id);
    if (!found) throw new Error("export not listed");
    return found;
  };

  beforeAll(async () => {
    await addMember(owner, viewer, "viewer");
    await readyCheckpoint(owner, "llama-export", contents);
    await readyCheckpoint(owner, "small", small);
    expect((await createCheckpoint(owner, "half-uploaded")).status).toBe(201);
    const connectionBodies = [
      { name: "s3rver", provider: "s3", config: { endpoint: s3.endpoint, forcePathStyle: true }, secret: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } },
      { name: "s3rver-bad-key", provider: "s3", config: { endpoint: s3.endpoint }, secret: { accessKeyId: "NOBODY", secretAccessKey: "wrong" } },
      { name: "azurite", provider: "azure", config: {}, secret: { connectionString: azurite.connectionString } },
      { name: "gcs-peer", provider: "gcs", config: { apiEndpoint: gcs.endpoint }, secret: { credentialsJson: JSON.stringify({ type: "authorized_user", client_id: "x", client_secret: "y", refresh_token: "z" }) } },
      { name: "hf", provider: "huggingface", config: {}, secret: { token: "hf_x" } },
    ];
    for (const body of connectionBodies) {
      const created = await call(connections.POST, "/x", { method: "POST", token: owner.token, body });
      expect(created.status, body.name).toBe(201);
    }
  });
  // First, before any guarded socket to the peers exists (keep-alive sockets would be reused).
  it("refuses the loopback peer without the allow-list, failing the export with the variable to set", async () => {
    delete process.env[ALLOW_ENV];
    guardedAgents().http.destroy();
    const done = await exportNow("small", { connection: "s3rver", destinationPath: "exports/blocked/" });
    expect(done.status).toBe("failed");
    expect(done.message).toContain(ALLOW_ENV);
    expect(await statusOf("small")).toBe("ready");
  });

  it("writes every file to S3 under the prefix (multipart for the large one), byte for byte, with progress and log", async () => {
    process.env[ALLOW_ENV] = "127.0.0.1/32";
    const done = await exportNow("llama-export", { connection: "s3rver", destinationPath: "exports/runs/llama/" });
    expect(done).toMatchObject({ status: "succeeded", message: null, connection: "s3rver", provider: "s3", destinationPath: "exports/runs/llama/" });
    const total = Object.values(contents).reduce((sum, b) => sum + b.length, 0);
    expect(done.progress).toEqual({ bytesDone: total, bytesTotal: total, filesDone: 5, filesTotal: 5 });
    expect(done.finishedAt).not.toBeNull();
    expect(await statusOf("llama-export")).toBe("ready");
    const client = new S3Client({ endpoint: s3.endpoint, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } });
    const listed = await client.send(new ListObjectsV2Command({ Bucket: "exports", Prefix: "runs/llama/" }));
    expect(listed.Contents?.map((o) => o.Key).sort()).toEqual(Object.keys(contents).map((p) => `runs/llama/${p}`).sort());
    for (const [filePath, bytes] of Object.entries(contents)) {
      const object = await client.send(new GetObjectCommand({ Bucket: "exports", Key: `runs/llama/${filePath}` }));
      expect(Buffer.from(await object.Body!.transformToByteArray()).equals(bytes), filePath).toBe(true);
    }
    client.destroy();
    const log = await json<{ items: { message: string }[] }>(await call(logs.GET, "/x", { token: owner.token, params: { ref: "llama-export" } }));
    expect(log.items.map((i) => i.message).join("\n")).toMatch(/queued by[\s\S]*writing 5 files[\s\S]*wrote 5 files, 17\.\d+ MB, to s3:\/\/exports\/runs\/llama\//);
  });

  it("writes every file to Azure (Azurite) under the prefix, byte for byte", async () => {
    process.env[ALLOW_ENV] = "127.0.0.1/32";
    const done = await exportNow("llama-export", { connection: "azurite", destinationPath: "exports/az" });
    expect(done.status, done.message ?? "").toBe("succeeded");
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient("exports");
    for (const [filePath, bytes] of Object.entries(contents)) {
      const got = await container.getBlockBlobClient(`az/${filePath}`).downloadToBuffer();
      expect(got.equals(bytes), filePath).toBe(true);
    }
  });

  it("writes every file to GCS (the loopback peer) under the prefix, byte for byte", async () => {
    process.env[ALLOW_ENV] = "127.0.0.1/32";
    process.env.STORAGE_EMULATOR_HOST = gcs.endpoint;
    try {
      const done = await exportNow("small", { connection: "gcs-peer", destinationPath: "gcs-exports/copy/" });
      expect(done.status, done.message ?? "").toBe("succeeded");
      for (const [filePath, bytes] of Object.entries(small)) expect(gcs.get("gcs-exports", `copy/${filePath}`)?.equals(bytes), filePath).toBe(true);
    } finally {
      delete process.env.STORAGE_EMULATOR_HOST;
    }
  });

  it("fails with a sentence to act on for a missing bucket and rejected credentials, leaving the checkpoint ready", async () => {
    process.env[ALLOW_ENV] = "127.0.0.1/32";
    const missing = await exportNow("small", { connection: "s3rver", destinationPath: "no-such-bucket/x/" });
    expect(missing.status).toBe("failed");
    expect(missing.message).toBe("The bucket or container of s3://no-such-bucket/x/ does not exist. Create it, or correct the destination path.");
    const denied = await exportNow("small", { connection: "s3rver-bad-key", destinationPath: "exports/x/" });
    expect(denied.status).toBe("failed");
    expect(denied.message).toMatch(/denied|rejected|failed/);
    const azureMissing = await exportNow("small", { connection: "azurite", destinationPath: "nocontainer/x/" });
    expect(azureMissing.message).toContain('The container "nocontainer" does not exist');
    expect(await statusOf("small")).toBe("ready");
    const log = await json<{ items: { level: string; message: string }[] }>(await call(logs.GET, "/x", { token: owner.token, params: { ref: "small" } }));
    expect(log.items.filter((i) => i.level === "error").length).toBeGreaterThanOrEqual(3);
  });

  it("answers 422 for a bad path or a connection of the wrong provider, 409 when not ready, 403 to viewers, 404 across orgs", async () => {
    const badPath = await post("small", { connection: "s3rver", destinationPath: "s3://exports/x/" });
    expect(badPath.status).toBe(422);
    expect((await json<Envelope>(badPath)).error.details?.fields?.destinationPath).toContain("Leave out the scheme (s3://)");
    const wrongProvider = await post("small", { connection: "hf", destinationPath: "exports/x/" });
    expect(wrongProvider.status).toBe(422);
    expect((await json<Envelope>(wrongProvider)).error.message).toBe(
      "The connection 'hf' is a huggingface connection; export needs an S3, Google Cloud Storage or Azure connection.",
    );
    const noConnection = await post("small", { connection: "nope", destinationPath: "exports/x/" });
    expect(noConnection.status).toBe(422);
    const notReady = await post("half-uploaded", { connection: "s3rver", destinationPath: "exports/x/" });
    expect(notReady.status).toBe(409);
    expect((await json<Envelope>(notReady)).error.message).toContain("only a ready checkpoint can be exported");
    const asViewer = await call(exportRoute.POST, "/x", {
      method: "POST",
      token: viewer.token,
      headers: { "x-cairn-org": owner.orgId },
      params: { ref: "small" },
      body: { connection: "s3rver", destinationPath: "exports/x/" },
    });
    expect(asViewer.status).toBe(403);
    for (const [handler, opts] of [
      [exportRoute.POST, { method: "POST", body: { connection: "s3rver", destinationPath: "exports/x/" } }],
      [exportsRoute.GET, {}],
      [archive.GET, {}],
    ] as const) {
      await expectError(await call(handler, "/x", { ...opts, token: stranger.token, params: { ref: "small" } }), 404, "not_found");
    }
  });

  it("keeps an exporting checkpoint downloadable, and ends an export whose server died as failed, back to ready", async () => {
    const db = await getDb();
    const row = await insertExport(db, {
      orgId: owner.orgId,
      checkpointId: (await getCheckpoint(owner, "small")).metadata.id,
      connection: "s3rver",
      connectionId: (await json<{ items: { id: string; name: string }[] }>(await call(connections.GET, "/x", { token: owner.token }))).items.find((c) => c.name === "s3rver")!.id,
      provider: "s3",
      destinationPath: "exports/dead/",
      status: "running",
      updatedAt: new Date(Date.now() - 10 * 60_000),
    });
    const { markExporting } = await import("@/lib/db/queries/exports");
    await markExporting(db, { orgId: owner.orgId, checkpointId: row.checkpointId });
    expect(await statusOf("small")).toBe("exporting");
    const download = await call(file.GET, "/x", { token: owner.token, params: { ref: "small", path: ["config.json"] } });
    expect(Buffer.from(await download.arrayBuffer()).equals(contents["config.json"]!)).toBe(true);
    const put = await call(file.PUT, "/x", { method: "PUT", token: owner.token, rawBody: "x", params: { ref: "small", path: ["new.bin"] } });
    expect(put.status).toBe(409);
    const removed = await call(one.DELETE, "/x", { method: "DELETE", token: owner.token, params: { ref: "small" } });
    expect(removed.status).toBe(409);
    expect((await json<Envelope>(removed)).error.message).toBe("Checkpoint 'small' is being exported. Wait for the export to finish, then delete it.");
    expect(await recoverOrphanedExports(db, { staleBefore: new Date(Date.now() - 60_000) })).toBe(1);
    const after = (await exportsOf("small")).items.find((item) => item.id === row.id);
    expect(after?.status).toBe("failed");
    expect(after?.message).toContain("The server stopped while this export was running");
    expect(await statusOf("small")).toBe("ready");
  });

  it("runs through the durable queue: a posted export finishes on its own", async () => {
    process.env[ALLOW_ENV] = "127.0.0.1/32";
    await startExportWorkers({ concurrency: 1 });
    const started = await post("small", { connection: "s3rver", destinationPath: "exports/queued" });
    expect(started.status).toBe(202);
    const { id } = await json<{ id: string }>(started);
    let item: ExportResponse | undefined;
    for (let i = 0; i < 150; i += 1) {
      item = (await exportsOf("small")).items.find((e) => e.id === id);
      if (item?.status === "succeeded" || item?.status === "failed") break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(item?.status, item?.message ?? "").toBe("succeeded");
    expect(await statusOf("small")).toBe("ready");
  });
});
