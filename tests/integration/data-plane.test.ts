import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import { describe, expect, it } from "vitest";
import { createCheckpoint, readyCheckpoint, testDatabases, useApiSuite } from "../helpers/api-suite";

const sha = (data: Buffer) => createHash("sha256").update(data).digest("hex");

/**
 * The data plane (lib/net/data-plane.ts) over real HTTP: file PUT and GET, tus and the archive are
 * answered from Node's streams by the routes' own handlers, so auth, limits, the error envelope and
 * the security headers must be exactly what the App Router gives. The test server has no
 * next.config.ts headers of its own: a security header on an answer says the data plane served it.
 */
describe.each(testDatabases)("the data plane on %s", (kind) => {
  const suite = useApiSuite(kind, { server: true, users: ["owner", "other"], env: { CAIRN_MAX_CHECKPOINT_BYTES: String(4 * 1024 * 1024) } });
  const { owner, other } = suite.users;
  const at = (path: string) => `${suite.server.url}${path}`;
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it("stores a PUT body and serves it whole, by range and by HEAD, with the security headers", async () => {
    expect((await createCheckpoint(owner, "plane")).status).toBe(201);
    const body = randomBytes(1024 * 1024 + 3);
    const put = await fetch(at("/api/v1/checkpoints/plane/files/weights/model.bin"), { method: "PUT", headers: bearer(owner.token), body });
    expect(put.status).toBe(201);
    expect(put.headers.get("x-content-type-options")).toBe("nosniff");
    expect(put.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(await put.json()).toMatchObject({ path: "weights/model.bin", size: body.length, sha256: sha(body) });
    expect((await fetch(at("/api/v1/checkpoints/plane/commit"), { method: "POST", headers: bearer(owner.token) })).status).toBe(200);

    const whole = await fetch(at("/api/v1/checkpoints/plane/files/weights/model.bin"), { headers: bearer(owner.token) });
    expect(whole.status).toBe(200);
    expect(whole.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(whole.headers.get("etag")).toBe(`"${sha(body)}"`);
    expect(sha(Buffer.from(await whole.arrayBuffer()))).toBe(sha(body));

    const part = await fetch(at("/api/v1/checkpoints/plane/files/weights/model.bin"), { headers: { ...bearer(owner.token), range: "bytes=1000-1999" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 1000-1999/${body.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(body.subarray(1000, 2000))).toBe(true);

    const head = await fetch(at("/api/v1/checkpoints/plane/files/weights/model.bin"), { method: "HEAD", headers: bearer(owner.token) });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(body.length));
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });

  it("answers refusals in the API envelope: no token, another org, a bad path, over the cap", async () => {
    expect((await createCheckpoint(owner, "refusals")).status).toBe(201);
    const url = at("/api/v1/checkpoints/refusals/files/model.bin");
    const anonymous = await fetch(url, { method: "PUT", body: "x" });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("x-frame-options")).toBe("DENY");
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe("unauthorized");

    const stranger = await fetch(url, { method: "PUT", headers: bearer(other.token), body: "x" });
    expect(stranger.status).toBe(404);

    // fetch would resolve the dot segments before sending; a raw request keeps them as a client may.
    const dotted = await new Promise<number>((resolve, reject) => {
      const raw = http.request(at("/api/v1/checkpoints/refusals/files/x"), { method: "PUT", path: "/api/v1/checkpoints/refusals/files/%2e%2e/evil", headers: bearer(owner.token) }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      raw.once("error", reject);
      raw.end("x");
    });
    expect(dotted).toBe(422);

    // Over the 4 MiB cap with no declared length: the stream is cut off, nothing is kept.
    const big = randomBytes(5 * 1024 * 1024);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < big.length; i += 65536) controller.enqueue(big.subarray(i, i + 65536));
        controller.close();
      },
    });
    const over = await fetch(url, { method: "PUT", headers: bearer(owner.token), body: stream, duplex: "half" } as RequestInit);
    expect(over.status).toBe(413);
    expect(((await over.json()) as { error: { code: string } }).error.code).toBe("payload_too_large");
    const files = (await (await fetch(at("/api/v1/checkpoints/refusals/files"), { headers: bearer(owner.token) })).json()) as { items: unknown[] };
    expect(files.items).toEqual([]);
  });

  it("takes a tus upload and serves the archive", async () => {
    const made = await createCheckpoint(owner, "tus-plane");
    expect(made.status).toBe(201);
    const { metadata } = (await made.json()) as { metadata: { id: string } };
    const data = randomBytes(300_000);
    const meta = (value: string) => Buffer.from(value).toString("base64");
    const created = await fetch(at("/api/v1/uploads"), {
      method: "POST",
      headers: { ...bearer(owner.token), "tus-resumable": "1.0.0", "upload-length": String(data.length), "upload-metadata": `checkpointId ${meta(metadata.id)},path ${meta("model.bin")}` },
    });
    expect(created.status).toBe(201);
    const location = new URL(created.headers.get("location")!, suite.server.url).toString();
    const patch = await fetch(location, {
      method: "PATCH",
      headers: { ...bearer(owner.token), "tus-resumable": "1.0.0", "upload-offset": "0", "content-type": "application/offset+octet-stream" },
      body: data,
    });
    expect(patch.status).toBe(204);
    expect(patch.headers.get("upload-offset")).toBe(String(data.length));
    // The finished upload is the checkpoint's file now, with the SHA-256 of what was sent.
    const files = (await (await fetch(at(`/api/v1/checkpoints/${metadata.id}/files`), { headers: bearer(owner.token) })).json()) as { items: { path: string; sha256: string }[] };
    expect(files.items).toEqual([expect.objectContaining({ path: "model.bin", sha256: sha(data) })]);

    await readyCheckpoint(owner, "archived", { "a.txt": "alpha", "b/c.txt": "gamma" });
    const tar = await fetch(at("/api/v1/checkpoints/archived/archive?format=tar"), { headers: bearer(owner.token) });
    expect(tar.status).toBe(200);
    const bytes = Buffer.from(await tar.arrayBuffer());
    expect(bytes.length).toBe(Number(tar.headers.get("content-length")));
    expect(bytes.includes(Buffer.from("gamma"))).toBe(true);
  });
});
