import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Upload } from "tus-js-client";
import { expect, test } from "./fixtures";

const PORT = 3201;
const base = `http://127.0.0.1:${PORT}`;

/** A second production server of our own build, so the test can SIGKILL it. */
function startServer(dataDir: string): ChildProcess {
  return spawn(process.execPath, ["node_modules/next/dist/bin/next", "start", "-p", String(PORT), "-H", "127.0.0.1"], {
    env: { ...process.env, CAIRN_DATA_DIR: dataDir, NODE_ENV: "production" },
    stdio: "ignore",
  });
}

async function waitHealthy(): Promise<void> {
  for (let i = 0; i < 120; i += 1) {
    try {
      if ((await fetch(`${base}/api/health`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("server did not become healthy");
}

async function api<T>(method: string, url: string, token: string | null, body?: unknown, extra: Record<string, string> = {}): Promise<{ status: number; body: T }> {
  const response = await fetch(`${base}${url}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { "content-type": "application/json" } : {}), ...extra },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
}

test("a server killed mid-upload leaves no ready checkpoint, and the upload resumes byte-identical", async () => {
  test.setTimeout(240_000);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "cairn-crash-"));
  let server = startServer(dataDir);
  try {
    await waitHealthy();
    const email = "crash@example.com";
    const password = "crash test password";
    expect((await api("POST", "/api/v1/users", null, { email, password })).status).toBe(201);
    const basic = `Basic ${Buffer.from(`${email}:${password}`).toString("base64")}`;
    const { body: issued } = await api<{ token: string }>("POST", "/api/v1/tokens", null, { name: "crash" }, { authorization: basic });
    const token = issued.token;
    const { body: created } = await api<{ metadata: { id: string } }>("POST", "/api/v1/checkpoints", token, { name: "crashy", sourceType: "local" });
    const checkpointId = created.metadata.id;

    const bytes = randomBytes(48 * 1024 * 1024);
    const chunkSize = 4 * 1024 * 1024;
    let uploadUrl: string | null = null;
    const options = {
      endpoint: `${base}/api/v1/uploads`,
      chunkSize,
      retryDelays: [] as number[],
      headers: { authorization: `Bearer ${token}` },
      metadata: { checkpointId, path: "weights/model.bin" },
    };

    await new Promise<void>((resolve) => {
      let chunks = 0;
      const upload = new Upload(bytes, {
        ...options,
        onAfterResponse: (_req, res) => {
          if (res.getStatus() === 204) chunks += 1;
          if (chunks === 3 && upload.url) {
            uploadUrl = upload.url;
            server.kill("SIGKILL");
          }
        },
        onError: () => resolve(),
        onSuccess: () => resolve(),
      });
      upload.start();
    });
    expect(uploadUrl).not.toBeNull();
    await new Promise((r) => server.once("exit", r));

    server = startServer(dataDir);
    await waitHealthy();
    const { body: afterCrash } = await api<{ status: { status: string } }>("GET", `/api/v1/checkpoints/${checkpointId}`, token);
    expect(afterCrash.status.status).toBe("uploading");
    const early = await api<{ error: { code: string } }>("POST", `/api/v1/checkpoints/${checkpointId}/commit`, token);
    expect(early.status).toBe(422);

    const head = await fetch(uploadUrl as unknown as string, { method: "HEAD", headers: { authorization: `Bearer ${token}`, "tus-resumable": "1.0.0" } });
    const serverOffset = Number(head.headers.get("upload-offset"));
    expect(serverOffset).toBeGreaterThanOrEqual(3 * chunkSize);
    expect(serverOffset).toBeLessThan(bytes.length);

    let resumedFrom = -1;
    await new Promise<void>((resolve, reject) => {
      const upload = new Upload(bytes, {
        ...options,
        uploadUrl,
        onProgress: (sent) => {
          if (resumedFrom < 0) resumedFrom = sent;
        },
        onError: reject,
        onSuccess: () => resolve(),
      });
      upload.start();
    });
    expect(resumedFrom).toBeGreaterThanOrEqual(serverOffset);

    const committed = await api<{ status: { status: string; files: { path: string; sha256: string; size: number }[] } }>(
      "POST",
      `/api/v1/checkpoints/${checkpointId}/commit`,
      token,
    );
    expect(committed.status).toBe(200);
    const sha = createHash("sha256").update(bytes).digest("hex");
    expect(committed.body.status.files).toEqual([{ path: "weights/model.bin", size: bytes.length, sha256: sha }]);
    const download = await fetch(`${base}/api/v1/checkpoints/${checkpointId}/files/weights/model.bin`, { headers: { authorization: `Bearer ${token}` } });
    expect(createHash("sha256").update(Buffer.from(await download.arrayBuffer())).digest("hex")).toBe(sha);
  } finally {
    server.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  }
});
