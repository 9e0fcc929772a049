import { setTimeout as sleep } from "node:timers/promises";
import { ApiClient, CairnApiError } from "@/lib/cli/client";
import { CliError } from "@/lib/cli/config";

/** Waits between attempts while the server cannot be reached: quick at first, then every 5 s. */
const BACKOFF_MS = [250, 500, 1000, 2000, 5000];

/** A failure worth trying again: the server unreachable, overloaded or restarting. */
export function isTransient(error: unknown): boolean {
  if (error instanceof CairnApiError) return error.status >= 500 || error.status === 429 || error.status === 408;
  return error instanceof CliError && error.message.startsWith("Could not reach");
}

/**
 * The agent's side of its endpoints (`/agent/jobs/{id}/…`) with the job token. Calls made with
 * `retry` keep trying while the server is unreachable or answers 5xx (a restart, a network cut),
 * so nothing the agent reports is lost; anything else (4xx) is the caller's to handle.
 */
export class AgentApi {
  readonly client: ApiClient;

  constructor(
    server: string,
    token: string,
    readonly jobId: string,
    private readonly onWait: (message: string) => void = () => {},
  ) {
    this.client = new ApiClient(server, token);
  }

  private path(suffix: string): string {
    return `/agent/jobs/${encodeURIComponent(this.jobId)}${suffix}`;
  }

  /** One call; with `retry`, repeated through transient failures until `signal` aborts. */
  async call<T>(method: "GET" | "POST", suffix: string, body?: unknown, opts: { retry?: boolean; signal?: AbortSignal } = {}): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.client.json<T>(method, this.path(suffix), { body });
      } catch (error) {
        if (!opts.retry || !isTransient(error) || opts.signal?.aborted) throw error;
        if (attempt === 2) this.onWait(`The server is not answering (${error instanceof Error ? error.message : String(error)}); retrying.`);
        await sleep(BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)]);
      }
    }
  }

  get<T>(suffix: string, opts?: { retry?: boolean }): Promise<T> {
    return this.call<T>("GET", suffix, undefined, opts);
  }

  post<T>(suffix: string, body?: unknown, opts?: { retry?: boolean; signal?: AbortSignal }): Promise<T> {
    return this.call<T>("POST", suffix, body ?? {}, opts);
  }
}
