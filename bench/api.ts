import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import http from "node:http";
import { pipeline } from "node:stream/promises";

/** A thin client for the v1 API as an outside script uses it: a Bearer token on every call. */
export class Api {
  constructor(
    readonly baseUrl: string,
    readonly token: string,
  ) {}

  get authHeader(): string {
    return `Bearer ${this.token}`;
  }

  /** A fresh user (and org) with an API token, signed up over HTTP. */
  static async signUp(baseUrl: string): Promise<{ api: Api; orgId: string; userId: string }> {
    const email = `bench-${randomBytes(6).toString("hex")}@example.com`;
    const password = randomBytes(12).toString("base64url");
    const user = await expectJson<{ id: string; orgId: string }>(
      await fetch(`${baseUrl}/api/v1/users`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email, password }),
      }),
      "sign up",
    );
    const { token } = await expectJson<{ token: string }>(
      await fetch(`${baseUrl}/api/v1/tokens`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Basic ${Buffer.from(`${email}:${password}`).toString("base64")}`,
        },
        body: JSON.stringify({ name: "bench" }),
      }),
      "create a token",
    );
    return { api: new Api(baseUrl, token), orgId: user.orgId, userId: user.id };
  }

  withBaseUrl(baseUrl: string): Api {
    return new Api(baseUrl, this.token);
  }

  async request(method: string, pathAndQuery: string, body?: unknown): Promise<Response> {
    return fetch(`${this.baseUrl}${pathAndQuery}`, {
      method,
      headers: {
        authorization: this.authHeader,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  async json<T>(method: string, pathAndQuery: string, body?: unknown): Promise<T> {
    return expectJson<T>(await this.request(method, pathAndQuery, body), `${method} ${pathAndQuery}`);
  }

  async createLocalCheckpoint(name: string): Promise<string> {
    const created = await this.json<{ metadata: { id: string } }>("POST", "/api/v1/checkpoints", { name, sourceType: "local" });
    return created.metadata.id;
  }

  async commit(checkpointId: string): Promise<void> {
    const checkpoint = await this.json<{ status: { status: string } }>("POST", `/api/v1/checkpoints/${checkpointId}/commit`);
    if (checkpoint.status.status !== "ready") throw new Error(`commit left the checkpoint '${checkpoint.status.status}'`);
  }

  /** A checkpoint ingested from a source; answers its id (the ingest runs in the background). */
  async createSourceCheckpoint(name: string, sourceType: string, sourceUri: string, connection?: string): Promise<string> {
    const created = await this.json<{ metadata: { id: string } }>("POST", "/api/v1/checkpoints", { name, sourceType, sourceUri, ...(connection ? { connection } : {}) });
    return created.metadata.id;
  }

  async status(checkpointId: string): Promise<{ status: string; message: string | null }> {
    const checkpoint = await this.json<{ status: { status: string; message: string | null } }>("GET", `/api/v1/checkpoints/${checkpointId}`);
    return checkpoint.status;
  }

  async createS3Connection(name: string, endpoint: string, secret: { accessKeyId: string; secretAccessKey: string }): Promise<void> {
    await this.json("POST", "/api/v1/connections", { name, provider: "s3", config: { endpoint, forcePathStyle: true }, secret });
  }

  /**
   * PUTs the local `file` (`size` bytes) as the checkpoint's `filePath`, streamed from disk. The
   * raw-body PUT as a Node script would send it: the file piped into node:http. (fetch with a web
   * ReadableStream body costs the client about three times the CPU, which on a small box is
   * taken from the server being measured.)
   */
  async putFile(checkpointId: string, filePath: string, file: string, size: number): Promise<void> {
    const request = http.request(`${this.baseUrl}/api/v1/checkpoints/${checkpointId}/files/${filePath}`, {
      method: "PUT",
      headers: { authorization: this.authHeader, "content-type": "application/octet-stream", "content-length": String(size) },
    });
    const response = new Promise<http.IncomingMessage>((resolve, reject) => {
      request.once("response", resolve);
      request.once("error", reject);
    });
    await pipeline(createReadStream(file, { highWaterMark: 1024 * 1024 }), request);
    const answer = await response;
    const chunks: Buffer[] = [];
    for await (const chunk of answer) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    if ((answer.statusCode ?? 0) >= 300) throw new Error(`PUT ${filePath} failed: ${answer.statusCode} ${body.slice(0, 500)}`);
  }

  async files(checkpointId: string): Promise<{ path: string; size: number; sha256: string }[]> {
    const list = await this.json<{ items: { path: string; size: number; sha256: string }[] }>("GET", `/api/v1/checkpoints/${checkpointId}/files`);
    return list.items;
  }
}

export async function expectJson<T>(response: Response, what: string): Promise<T> {
  const text = await response.text();
  if (!response.ok) throw new Error(`${what} failed: ${response.status} ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}
