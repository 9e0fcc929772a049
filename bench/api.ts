import { randomBytes } from "node:crypto";

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
