import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { describe, expect, it } from "vitest";
import * as uploads from "@/app/api/v1/uploads/[[...id]]/route";
import { call, commitCheckpoint, createCheckpoint, json, sha256 as sha, testDatabases, useApiSuite, type CheckpointAnswer, type Envelope } from "../helpers/api-suite";
import { tus } from "../helpers/tus";

/**
 * The tus protocol as Cairn answers it: tus (`@tus/server`) answers POST, HEAD, DELETE and
 * OPTIONS, Cairn its own PATCH (lib/uploads/tus-patch.ts), both on one lock and one store. These
 * tests pin the exact answers of that mix, so an upgrade of the library that changes what its
 * half does (headers, statuses, the lock, the store's offsets) fails here first.
 */
const root = path.resolve(import.meta.dirname, "../..");

/** Headers of an answer, lower-cased, without the per-request and date-dependent ones. */
function protocolHeaders(response: Response): Record<string, string> {
  const out: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    if (key === "x-request-id" || key === "date") return;
    out[key] = key === "upload-expires" || key === "location" ? "<set>" : value;
  });
  return out;
}

const EXPOSED =
  "Authorization, Content-Type, Location, Tus-Extension, Tus-Max-Size, Tus-Resumable, Tus-Version, Upload-Concat, Upload-Defer-Length, Upload-Length, Upload-Metadata, Upload-Offset, X-HTTP-Method-Override, X-Requested-With, X-Forwarded-Host, X-Forwarded-Proto, Forwarded";
const TUS_HEADERS = { "tus-resumable": "1.0.0", "access-control-allow-origin": "*", "access-control-expose-headers": EXPOSED };

describe("the pinned tus library", () => {
  it("is installed at exactly the version package.json pins, with no range", () => {
    const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    for (const name of ["@tus/server", "@tus/file-store"]) {
      const pinned = pkg.dependencies[name];
      expect(pinned, name).toMatch(/^\d+\.\d+\.\d+$/);
      const installed = (JSON.parse(readFileSync(path.join(root, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
      expect(installed, name).toBe(pinned);
    }
    expect(pkg.dependencies["@tus/server"]).toBe("2.4.5");
  });
});

describe.each(testDatabases)("tus protocol answers on %s", (kind) => {
  const suite = useApiSuite(kind, { users: ["tus"], server: true });
  const { tus: user } = suite.users;

  async function newCheckpoint(name: string): Promise<string> {
    return (await json<CheckpointAnswer>(await createCheckpoint(user, name))).metadata.id;
  }

  it("answers a create, HEAD, PATCH, HEAD, PATCH sequence exactly as the protocol says", async () => {
    const id = await newCheckpoint("sequence");
    const bytes = randomBytes(300_000);
    const created = await tus.create(user.token, { checkpointId: id, path: "weights/model.bin" }, bytes.length);
    expect(created.status).toBe(201);
    expect(protocolHeaders(created)).toEqual({ ...TUS_HEADERS, location: "<set>", "upload-expires": "<set>", "content-type": "text/plain;charset=UTF-8" });
    const uploadId = tus.idFrom(created);
    expect(uploadId).toMatch(/^[0-9a-f]{32}$/);

    const head0 = await tus.head(user.token, uploadId);
    expect(head0.status).toBe(200);
    expect(protocolHeaders(head0)).toMatchObject({ ...TUS_HEADERS, "cache-control": "no-store", "upload-offset": "0", "upload-length": String(bytes.length) });

    const first = await tus.patch(user.token, uploadId, 0, bytes.subarray(0, 100_000));
    expect(first.status).toBe(204);
    expect(protocolHeaders(first)).toEqual({ ...TUS_HEADERS, "upload-offset": "100000", "upload-expires": "<set>" });
    // The expiry the PATCH names is the one the creation named: creation time + CAIRN_UPLOAD_EXPIRY_HOURS.
    expect(first.headers.get("upload-expires")).toBe(created.headers.get("upload-expires"));
    expect(new Date(first.headers.get("upload-expires") ?? "").getTime()).toBeGreaterThan(Date.now() + 23 * 3600 * 1000);

    const head1 = await tus.head(user.token, uploadId);
    expect(head1.headers.get("upload-offset")).toBe("100000");

    const last = await tus.patch(user.token, uploadId, 100_000, bytes.subarray(100_000));
    expect(last.status).toBe(204);
    // Complete: no expiry any more.
    expect(protocolHeaders(last)).toEqual({ ...TUS_HEADERS, "upload-offset": String(bytes.length) });

    // A finished upload has moved into the blob store: tus no longer knows it.
    const head2 = await tus.head(user.token, uploadId);
    expect(head2.status).toBe(404);
    expect((await json<Envelope>(head2)).error).toEqual({ code: "not_found", message: "The file for this url was not found." });
    const again = await tus.patch(user.token, uploadId, bytes.length, Buffer.alloc(0));
    expect(again.status).toBe(409);

    const committed = await commitCheckpoint(user, id);
    const ready = await json<{ status: { files: { path: string; sha256: string; size: number }[] } }>(committed);
    expect(ready.status.files).toEqual([{ path: "weights/model.bin", size: bytes.length, sha256: sha(bytes) }]);
  });

  it("answers malformed PATCHes with tus's statuses, in the API envelope", async () => {
    const id = await newCheckpoint("malformed");
    const uploadId = tus.idFrom(await tus.create(user.token, { checkpointId: id, path: "m.bin" }, 10));
    // Bytes, not a string: a string body would bring its own content type.
    const patch = (headers: Record<string, string>, body: BodyInit = new Uint8Array(Buffer.from("12345"))) =>
      call(uploads.PATCH, `/api/v1/uploads/${uploadId}`, { method: "PATCH", token: user.token, rawBody: body, params: { id: [uploadId] }, headers });
    const cases: [string, Record<string, string>, number, string, string][] = [
      ["no Tus-Resumable", { "upload-offset": "0", "content-type": "application/offset+octet-stream" }, 412, "invalid_request", "Tus-Resumable Required."],
      ["a wrong content type", { "tus-resumable": "1.0.0", "upload-offset": "0", "content-type": "text/plain" }, 400, "invalid_request", "Invalid content-type."],
      ["a negative offset", { "tus-resumable": "1.0.0", "upload-offset": "-1", "content-type": "application/offset+octet-stream" }, 400, "invalid_request", "Invalid upload-offset."],
      ["no Upload-Offset", { "tus-resumable": "1.0.0", "content-type": "application/offset+octet-stream" }, 403, "forbidden", "Upload-Offset header required."],
      ["no content type", { "tus-resumable": "1.0.0", "upload-offset": "0" }, 403, "forbidden", "Content-Type header required."],
      ["a wrong offset", { "tus-resumable": "1.0.0", "upload-offset": "3", "content-type": "application/offset+octet-stream" }, 409, "conflict", "Upload-Offset conflict."],
    ];
    for (const [label, headers, status, code, message] of cases) {
      const response = await patch(headers);
      expect(response.status, label).toBe(status);
      expect(response.headers.get("content-type"), label).toBe("application/json");
      const body = await json<Envelope>(response);
      expect(body.error, label).toEqual({ code, message });
    }
    // More bytes than the declared length: refused before anything is written.
    const over = await patch({ "tus-resumable": "1.0.0", "upload-offset": "0", "content-type": "application/offset+octet-stream" }, new Uint8Array(12));
    expect(over.status).toBe(413);
    expect((await json<Envelope>(over)).error.code).toBe("payload_too_large");
    expect((await tus.head(user.token, uploadId)).headers.get("upload-offset")).toBe("0");
  });

  it("takes the length of a deferred upload from a PATCH, once", async () => {
    const id = await newCheckpoint("deferred");
    const bytes = randomBytes(5000);
    const uploadId = tus.idFrom(await tus.create(user.token, { checkpointId: id, path: "d.bin" }));
    const head0 = await tus.head(user.token, uploadId);
    expect(head0.headers.get("upload-defer-length")).toBe("1");
    expect(head0.headers.get("upload-length")).toBeNull();
    const first = await tus.patch(user.token, uploadId, 0, bytes.subarray(0, 1000), { "upload-length": String(bytes.length) });
    expect(first.status).toBe(204);
    expect(first.headers.get("upload-offset")).toBe("1000");
    const head1 = await tus.head(user.token, uploadId);
    expect(head1.headers.get("upload-length")).toBe(String(bytes.length));
    expect(head1.headers.get("upload-defer-length")).toBeNull();
    // Declaring it again is a protocol error.
    const twice = await tus.patch(user.token, uploadId, 1000, bytes.subarray(1000, 2000), { "upload-length": String(bytes.length) });
    expect(twice.status).toBe(400);
    expect((await tus.patch(user.token, uploadId, 1000, bytes.subarray(1000))).status).toBe(204);
  });

  it("hands the lock of a stalled PATCH to a HEAD: the PATCH is aborted, its bytes kept, and the upload resumes", async () => {
    const id = await newCheckpoint("lock");
    const bytes = randomBytes(200_000);
    const uploadId = tus.idFrom(await tus.create(user.token, { checkpointId: id, path: "l.bin" }, bytes.length));
    let release: () => void = () => {};
    const stalled = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(bytes.subarray(0, 50_000)));
        // …and then nothing more, as a client whose connection silently died.
        release = () => {
          try {
            controller.close();
          } catch {
            // Cancelled by the server already.
          }
        };
      },
    });
    const patching = tus.patch(user.token, uploadId, 0, stalled);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    const head = await tus.head(user.token, uploadId);
    const waited = Date.now() - started;
    expect(head.status).toBe(200);
    expect(head.headers.get("upload-offset")).toBe("50000");
    // tus's lockDrainTimeout: the holder is asked to let go, and is cut off 3 s later.
    expect(waited).toBeGreaterThanOrEqual(2_500);
    expect(waited).toBeLessThan(10_000);
    // The cut-off PATCH answers what it wrote, and tells the client the connection is done.
    const aborted = await patching;
    release();
    expect(aborted.status).toBe(204);
    expect(aborted.headers.get("upload-offset")).toBe("50000");
    expect(aborted.headers.get("connection")).toBe("close");
    expect((await tus.patch(user.token, uploadId, 50_000, bytes.subarray(50_000))).status).toBe(204);
    const committed = await commitCheckpoint(user, id);
    const ready = await json<{ status: { files: { sha256: string }[] } }>(committed);
    expect(ready.status.files[0]?.sha256).toBe(sha(bytes));
  });

  it("over real HTTP, keeps what a dropped PATCH delivered and resumes from the offset HEAD reports", async () => {
    const id = await newCheckpoint("dropped-http");
    const bytes = randomBytes(4 * 1024 * 1024);
    const uploadId = tus.idFrom(await tus.create(user.token, { checkpointId: id, path: "h.bin" }, bytes.length));
    const url = new URL(`${suite.server.url}/api/v1/uploads/${uploadId}`);
    const sent = 1024 * 1024 + 12_345;
    await new Promise<void>((resolve) => {
      const request = http.request(url, {
        method: "PATCH",
        headers: {
          authorization: `Bearer ${user.token}`,
          "tus-resumable": "1.0.0",
          "upload-offset": "0",
          "content-type": "application/offset+octet-stream",
          "content-length": String(bytes.length),
        },
      });
      request.on("error", () => resolve());
      request.on("response", (response) => {
        response.resume();
        response.on("end", () => resolve());
      });
      request.write(bytes.subarray(0, sent), () => setTimeout(() => request.destroy(), 300));
    });
    const head = async () => {
      const answer = await fetch(url, { method: "HEAD", headers: { authorization: `Bearer ${user.token}`, "tus-resumable": "1.0.0" } });
      return Number(answer.headers.get("upload-offset"));
    };
    // The server notices the dropped connection and writes what arrived.
    let offset = await head();
    for (let i = 0; i < 50 && offset !== sent; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      offset = await head();
    }
    expect(offset).toBe(sent);
    const rest = await fetch(url, {
      method: "PATCH",
      headers: { authorization: `Bearer ${user.token}`, "tus-resumable": "1.0.0", "upload-offset": String(offset), "content-type": "application/offset+octet-stream" },
      body: bytes.subarray(offset),
    });
    expect(rest.status).toBe(204);
    expect(rest.headers.get("upload-offset")).toBe(String(bytes.length));
    const committed = await commitCheckpoint(user, id);
    const ready = await json<{ status: { files: { sha256: string }[] } }>(committed);
    expect(ready.status.files[0]?.sha256).toBe(sha(bytes));
  });
});
