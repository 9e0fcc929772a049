import type { JobLogs, JobResponse } from "@/lib/api/schemas/jobs";
import { eventually } from "./jobs";

/** A Cairn server spoken to over HTTP only, as a script would: for servers in processes of their own. */
export class RemoteCairn {
  constructor(
    public url: string,
    readonly token: string,
  ) {}

  static async signUp(url: string, prefix: string): Promise<RemoteCairn> {
    const email = `${prefix}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
    const password = "correct horse battery";
    const created = await fetch(`${url}/api/v1/users`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password }) });
    if (created.status !== 201) throw new Error(`sign-up: ${created.status} ${await created.text()}`);
    const issued = await fetch(`${url}/api/v1/tokens`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Basic ${Buffer.from(`${email}:${password}`).toString("base64")}` },
      body: JSON.stringify({ name: "tests" }),
    });
    const { token } = (await issued.json()) as { token: string };
    return new RemoteCairn(url, token);
  }

  async request(method: string, pathname: string, body?: unknown, raw?: BodyInit): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    return fetch(`${this.url}/api/v1${pathname}`, { method, headers, body: body === undefined ? raw : JSON.stringify(body) });
  }

  async json<T>(method: string, pathname: string, body?: unknown, expected = [200, 201, 202]): Promise<T> {
    const response = await this.request(method, pathname, body);
    if (!expected.includes(response.status)) throw new Error(`${method} ${pathname}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }

  /** A `ready` local checkpoint with these files; resolves with its id. */
  async readyCheckpoint(name: string, files: Record<string, Buffer | string>): Promise<string> {
    const created = await this.json<{ metadata: { id: string } }>("POST", "/checkpoints", { name, sourceType: "local" });
    for (const [filePath, data] of Object.entries(files)) {
      const put = await this.request("PUT", `/checkpoints/${created.metadata.id}/files/${filePath}`, undefined, typeof data === "string" ? data : new Uint8Array(data));
      if (put.status !== 201) throw new Error(`put ${filePath}: ${put.status} ${await put.text()}`);
    }
    await this.json("POST", `/checkpoints/${created.metadata.id}/commit`);
    return created.metadata.id;
  }

  launch(body: Record<string, unknown>): Promise<JobResponse> {
    return this.json<JobResponse>("POST", "/jobs", body);
  }

  job(ref: string): Promise<JobResponse> {
    return this.json<JobResponse>("GET", `/jobs/${ref}`);
  }

  async logText(ref: string): Promise<string> {
    const logs = await this.json<JobLogs>("GET", `/jobs/${ref}/logs?limit=5000`);
    return logs.items.map((l) => `${l.stream}: ${l.message}`).join("\n");
  }

  finished(ref: string, timeoutMs = 60_000): Promise<JobResponse> {
    return eventually(
      () => this.logText(ref).then((t) => `job ${ref} to end; logs:\n${t}`),
      async () => {
        const job = await this.job(ref);
        return ["succeeded", "failed", "stopped"].includes(job.status) ? job : null;
      },
      timeoutMs,
    );
  }
}
