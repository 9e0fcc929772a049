import { randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as one from "@/app/api/v1/checkpoints/[ref]/route";
import * as file from "@/app/api/v1/checkpoints/[ref]/files/[...path]/route";
import * as commit from "@/app/api/v1/checkpoints/[ref]/commit/route";
import { getDb } from "@/lib/db/client";
import { expireAbandonedUploads } from "@/lib/uploads/maintenance";
import {
  call,
  createCheckpoint,
  json,
  readyCheckpoint,
  sha256 as sha,
  signUpWithToken,
  testDatabases,
  useApiSuite,
  type CheckpointAnswer,
  type Envelope,
  type TestUser,
} from "../helpers/api-suite";
import { tus } from "../helpers/tus";

describe.each(testDatabases)("uploads, limits and expiry on %s", (kind) => {
  const suite = useApiSuite(kind, { users: ["uploader"] });
  const { uploader: user } = suite.users;
  afterAll(() => {
    delete process.env.CAIRN_ORG_QUOTA_BYTES;
    delete process.env.CAIRN_MAX_CHECKPOINT_BYTES;
  });

  async function newCheckpoint(name: string, owner: TestUser = user): Promise<string> {
    return (await json<CheckpointAnswer>(await createCheckpoint(owner, name))).metadata.id;
  }
  const blobFiles = () => {
    const root = path.join(suite.dataDir, "blobs");
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [e.name]));
    try {
      return walk(root).filter((name) => /^[0-9a-f]{64}$/.test(name));
    } catch {
      return [];
    }
  };

  it("takes a file over tus in chunks, resumes from the server's offset, and commits", async () => {
    const id = await newCheckpoint("tus-one");
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    const created = await tus.create(user.token, { checkpointId: id, path: "shards/model-00001.bin" }, bytes.length);
    expect(created.status).toBe(201);
    const uploadId = tus.idFrom(created);

    const first = await tus.patch(user.token, uploadId, 0, bytes.subarray(0, 1024 * 1024));
    expect(first.status).toBe(204);
    expect(first.headers.get("upload-offset")).toBe(String(1024 * 1024));

    const early = await call(commit.POST, "/x", { method: "POST", token: user.token, params: { ref: id } });
    expect(early.status).toBe(422);
    expect((await json<Envelope>(early)).error.message).toBe("1 upload is not finished. Wait for it to complete (or cancel it), then commit again.");

    const wrongOffset = await tus.patch(user.token, uploadId, 5, bytes.subarray(5, 10));
    expect(wrongOffset.status).toBe(409);
    expect((await json<Envelope>(wrongOffset)).error.code).toBe("conflict");

    const head = await tus.head(user.token, uploadId);
    const offset = Number(head.headers.get("upload-offset"));
    expect(offset).toBe(1024 * 1024);
    const rest = await tus.patch(user.token, uploadId, offset, bytes.subarray(offset));
    expect(rest.status).toBe(204);

    const done = await call(commit.POST, "/x", { method: "POST", token: user.token, params: { ref: id } });
    expect(done.status).toBe(200);
    const ready = await json<{ status: { files: { path: string; sha256: string; size: number }[] } }>(done);
    expect(ready.status.files).toEqual([{ path: "shards/model-00001.bin", size: bytes.length, sha256: sha(bytes) }]);
    const download = await call(file.GET, "/x", { token: user.token, params: { ref: id, path: ["shards", "model-00001.bin"] } });
    expect(sha(Buffer.from(await download.arrayBuffer()))).toBe(sha(bytes));
  });

  it("keeps every byte of a PATCH whose client went away, and resumes from there to identical bytes", async () => {
    const id = await newCheckpoint("tus-dropped");
    const bytes = randomBytes(2 * 1024 * 1024 + 5);
    const uploadId = tus.idFrom(await tus.create(user.token, { checkpointId: id, path: "model.bin" }, bytes.length));
    // The connection breaks after 700,000 bytes of the body have arrived.
    const sent = 700_000;
    let step = 0;
    const dropping = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (step === 0) controller.enqueue(new Uint8Array(bytes.subarray(0, 400_000)));
        else if (step === 1) controller.enqueue(new Uint8Array(bytes.subarray(400_000, sent)));
        else controller.error(new Error("socket hang up"));
        step += 1;
      },
    });
    const broken = await tus.patch(user.token, uploadId, 0, dropping);
    expect(broken.status).toBeGreaterThanOrEqual(400);
    const head = await tus.head(user.token, uploadId);
    expect(Number(head.headers.get("upload-offset"))).toBe(sent);

    expect((await tus.patch(user.token, uploadId, sent, bytes.subarray(sent))).status).toBe(204);
    const done = await call(commit.POST, "/x", { method: "POST", token: user.token, params: { ref: id } });
    expect(done.status).toBe(200);
    const ready = await json<{ status: { files: { path: string; sha256: string; size: number }[] } }>(done);
    expect(ready.status.files).toEqual([{ path: "model.bin", size: bytes.length, sha256: sha(bytes) }]);
    expect((await call(one.DELETE, "/x", { method: "DELETE", token: user.token, params: { ref: id } })).status).toBe(204);
  });

  it("refuses tus uploads to a ready checkpoint (409) and with a bad path (422)", async () => {
    const readyId = await readyCheckpoint(user, "tus-ready", { "w.bin": "weights" });
    const ready = await tus.create(user.token, { checkpointId: readyId, path: "x.bin" }, 10);
    expect(ready.status).toBe(409);
    expect((await json<Envelope>(ready)).error.message).toContain("immutable");

    const id = await newCheckpoint("tus-paths");
    const bad = await tus.create(user.token, { checkpointId: id, path: "../escape.bin" }, 10);
    expect(bad.status).toBe(422);
    expect((await json<Envelope>(bad)).error.code).toBe("validation_failed");
  });

  it("stores identical content once", async () => {
    const id = await newCheckpoint("dedup");
    const bytes = randomBytes(50_000);
    const before = blobFiles().length;
    for (const name of ["a.bin", "b.bin"]) {
      const response = await call(file.PUT, "/x", { method: "PUT", token: user.token, rawBody: bytes, params: { ref: id, path: [name] } });
      expect(response.status).toBe(201);
    }
    expect(blobFiles().length).toBe(before + 1);
  });

  it("enforces the org quota on declared lengths and on streams without one, leaving nothing behind", async () => {
    // An org of its own with 3 MB stored, so 2 MB more is over a 4 MB quota whatever other tests store.
    const user = await signUpWithToken("quota");
    await readyCheckpoint(user, "stored", { "w.bin": randomBytes(3 * 1024 * 1024) });
    const id = await newCheckpoint("quota-check", user);
    const me = await json<{ status: { size: number } }>(await call(one.GET, "/x", { token: user.token, params: { ref: id } }));
    expect(me.status.size).toBe(0);
    process.env.CAIRN_ORG_QUOTA_BYTES = String(4 * 1024 * 1024);
    try {
      const declared = await tus.create(user.token, { checkpointId: id, path: "big.bin" }, 2 * 1024 * 1024);
      expect(declared.status).toBe(413);
      const body = await json<Envelope>(declared);
      expect(body.error.code).toBe("quota_exceeded");
      expect(body.error.message).toMatch(/storage quota: [\d.]+ MB of 4 MB used/);
      expect(body.error.details).toMatchObject({ quotaBytes: 4 * 1024 * 1024 });

      const blobsBefore = blobFiles().length;
      const big = randomBytes(2 * 1024 * 1024);
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < big.length; i += 65536) controller.enqueue(big.subarray(i, i + 65536));
          controller.close();
        },
      });
      const streamed = await call(file.PUT, "/x", { method: "PUT", token: user.token, rawBody: stream, params: { ref: id, path: ["big.bin"] } });
      expect(streamed.status).toBe(413);
      expect((await json<Envelope>(streamed)).error.code).toBe("quota_exceeded");
      expect(blobFiles().length).toBe(blobsBefore);
      expect(readdirSync(path.join(suite.dataDir, "blobs", "tmp"))).toEqual([]);

      const deferred = await tus.create(user.token, { checkpointId: id, path: "deferred.bin" });
      expect(deferred.status).toBe(201);
      const over = await tus.patch(user.token, tus.idFrom(deferred), 0, big, { "upload-length": String(big.length) });
      expect(over.status).toBe(413);
      expect((await json<Envelope>(over)).error.code).toBe("quota_exceeded");
      const after = await json<{ status: { size: number; fileCount: number } }>(await call(one.GET, "/x", { token: user.token, params: { ref: id } }));
      expect(after.status).toMatchObject({ size: 0, fileCount: 0 });
    } finally {
      delete process.env.CAIRN_ORG_QUOTA_BYTES;
    }
  });

  it("enforces the checkpoint cap with payload_too_large", async () => {
    const id = await newCheckpoint("cap-check");
    process.env.CAIRN_MAX_CHECKPOINT_BYTES = "1000";
    try {
      const response = await call(file.PUT, "/x", {
        method: "PUT",
        token: user.token,
        rawBody: randomBytes(1001),
        headers: { "content-length": "1001" },
        params: { ref: id, path: ["w.bin"] },
      });
      expect(response.status).toBe(413);
      const body = await json<Envelope>(response);
      expect(body.error.code).toBe("payload_too_large");
      expect(body.error.message).toContain("CAIRN_MAX_CHECKPOINT_BYTES");
      const declared = await tus.create(user.token, { checkpointId: id, path: "w.bin" }, 5000);
      expect(declared.status).toBe(413);
      expect((await json<Envelope>(declared)).error.code).toBe("payload_too_large");
    } finally {
      delete process.env.CAIRN_MAX_CHECKPOINT_BYTES;
    }
  });

  it("discards uploads abandoned past the expiry, so commit is unblocked", async () => {
    const id = await newCheckpoint("abandoned");
    await call(file.PUT, "/x", { method: "PUT", token: user.token, rawBody: "kept", params: { ref: id, path: ["kept.txt"] } });
    const created = await tus.create(user.token, { checkpointId: id, path: "never.bin" }, 100);
    await tus.patch(user.token, tus.idFrom(created), 0, randomBytes(10));
    const blocked = await call(commit.POST, "/x", { method: "POST", token: user.token, params: { ref: id } });
    expect(blocked.status).toBe(422);

    const removed = await expireAbandonedUploads(await getDb(), new Date(Date.now() + 25 * 3600 * 1000));
    expect(removed).toBeGreaterThanOrEqual(1);
    expect(readdirSync(path.join(suite.dataDir, "uploads")).filter((f) => f.startsWith(tus.idFrom(created)))).toEqual([]);
    const committed = await call(commit.POST, "/x", { method: "POST", token: user.token, params: { ref: id } });
    expect(committed.status).toBe(200);
  });
});
