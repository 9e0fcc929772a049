import { randomBytes } from "node:crypto";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import * as health from "@/app/api/health/route";
import * as list from "@/app/api/v1/checkpoints/route";
import * as one from "@/app/api/v1/checkpoints/[ref]/route";
import * as file from "@/app/api/v1/checkpoints/[ref]/files/[...path]/route";
import * as commit from "@/app/api/v1/checkpoints/[ref]/commit/route";
import { getDb } from "@/lib/db/client";
import { getBlobStore } from "@/lib/storage";
import { collectBlobs } from "@/lib/checkpoints/blob-gc";
import { call, json, sha256 as sha, signUpWithToken, useApiSuite } from "../helpers/api-suite";
import { startS3rver } from "../helpers/s3";
import { tus } from "../helpers/tus";

const kind = process.env.TEST_DATABASE_URL ? "postgres" : "pglite";

describe(`production mode: ${kind} + S3 (CAIRN_STORAGE=s3 against s3rver)`, () => {
  let s3: Awaited<ReturnType<typeof startS3rver>>;
  // Registered before the suite's hooks: the peer is up before the database opens, and stops after it closed.
  beforeAll(async () => {
    s3 = await startS3rver(["cairn-blobs"]);
  });
  afterAll(() => s3.stop());
  const suite = useApiSuite(kind, {
    env: () => ({
      CAIRN_STORAGE: "s3",
      CAIRN_S3_BUCKET: "cairn-blobs",
      CAIRN_S3_ENDPOINT: s3.endpoint,
      CAIRN_S3_FORCE_PATH_STYLE: "true",
      AWS_ACCESS_KEY_ID: "S3RVER",
      AWS_SECRET_ACCESS_KEY: "S3RVER",
      AWS_REGION: "us-east-1",
    }),
  });

  const blobKeys = async () => {
    const client = new S3Client({
      endpoint: s3.endpoint,
      forcePathStyle: true,
      region: "us-east-1",
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    });
    const listed = await client.send(new ListObjectsV2Command({ Bucket: "cairn-blobs", Prefix: "blobs/" }));
    return (listed.Contents ?? []).map((o) => o.Key ?? "");
  };

  it("reports the production drivers on /api/health", async () => {
    const response = await call(health.GET, "/api/health");
    expect(await json(response)).toEqual({ ok: true, db: kind, storage: "s3" });
  });

  it("uploads over tus and PUT into S3, commits, serves ranges, and collects blobs after delete", async () => {
    const user = await signUpWithToken("prod");
    const created = await call(list.POST, "/x", { method: "POST", token: user.token, body: { name: "prod-ckpt", sourceType: "local" } });
    const id = (await json<{ metadata: { id: string } }>(created)).metadata.id;

    const shard = randomBytes(6 * 1024 * 1024 + 3);
    const upload = await tus.create(user.token, { checkpointId: id, path: "model/shard-1.bin" }, shard.length);
    const uploadId = tus.idFrom(upload);
    expect((await tus.patch(user.token, uploadId, 0, shard.subarray(0, 4 * 1024 * 1024))).status).toBe(204);
    expect((await tus.patch(user.token, uploadId, 4 * 1024 * 1024, shard.subarray(4 * 1024 * 1024))).status).toBe(204);
    const config = Buffer.from('{"architectures":["LlamaForCausalLM"]}');
    expect((await call(file.PUT, "/x", { method: "PUT", token: user.token, rawBody: config, params: { ref: id, path: ["config.json"] } })).status).toBe(201);

    const done = await call(commit.POST, "/x", { method: "POST", token: user.token, params: { ref: id } });
    expect(done.status).toBe(200);
    expect((await blobKeys()).sort()).toEqual([`blobs/${sha(shard).slice(0, 2)}/${sha(shard)}`, `blobs/${sha(config).slice(0, 2)}/${sha(config)}`].sort());

    const ranged = await call(file.GET, "/x", { token: user.token, headers: { range: "bytes=1000-1999" }, params: { ref: id, path: ["model", "shard-1.bin"] } });
    expect(ranged.status).toBe(206);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(shard.subarray(1000, 2000))).toBe(true);
    const whole = await call(file.GET, "/x", { token: user.token, params: { ref: id, path: ["model", "shard-1.bin"] } });
    expect(sha(Buffer.from(await whole.arrayBuffer()))).toBe(sha(shard));

    // Deleting frees the blobs nothing else references in its second phase; a later collection finds nothing left.
    expect((await call(one.DELETE, "/x", { method: "DELETE", token: user.token, params: { ref: id } })).status).toBe(204);
    expect(await blobKeys()).toEqual([]);
    expect(await collectBlobs(await getDb(), getBlobStore(), { graceMs: 0 })).toBe(0);
  });

  it.runIf(kind === "postgres")("survives Postgres closing its idle connections (restart, failover) and reconnects", async () => {
    const pool = suite.database.pool;
    if (!pool) throw new Error("no pool");
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    await Promise.all([1, 2, 3].map(() => pool.query("select pg_sleep(0.05)")));
    expect(pool.idleCount).toBeGreaterThan(0);
    const name = (await pool.query<{ name: string }>("select current_database() as name")).rows[0]?.name;
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    const killed = await admin.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1", [name]);
    await admin.end();
    expect(killed.rowCount).toBeGreaterThan(0);
    // Without the pool's own error listener this is an uncaught exception that ends the process.
    const closedNotices = () => logged.mock.calls.filter((c) => String(c[0]).includes("database: an idle connection was closed")).length;
    // Each killed connection is noticed (logged and dropped from the pool) when its socket reports it.
    await expect.poll(closedNotices).toBe(killed.rowCount);
    logged.mockRestore();
    const user = await signUpWithToken("after-failover");
    expect((await call(list.GET, "/x", { token: user.token })).status).toBe(200);
  });
});
