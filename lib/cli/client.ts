import { CliError, resolveCredentials } from "./config";

type Envelope = { error?: { code?: string; message?: string; details?: Record<string, unknown> } };

/** A non-2xx answer: the envelope's message is what the user sees, the exit code is non-zero. */
export class CairnApiError extends CliError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "CairnApiError";
  }
}

export async function errorFrom(response: Response): Promise<CairnApiError> {
  const text = await response.text().catch(() => "");
  let body: Envelope | null = null;
  try {
    body = JSON.parse(text) as Envelope;
  } catch {}
  const error = body?.error;
  const fallback = `The server answered ${response.status} ${response.statusText}`.trim() + ".";
  return new CairnApiError(response.status, error?.code ?? "http_error", error?.message ?? fallback, error?.details);
}

export type Query = Record<string, string | number | boolean | undefined>;
export type Page<T> = { items: T[]; nextCursor: string | null; total?: number };

/** The v1 API as the CLI uses it: a Bearer token on every call, errors as `CairnApiError`. */
export class ApiClient {
  constructor(
    readonly server: string,
    readonly token: string,
  ) {}

  static async fromEnvironment(): Promise<ApiClient> {
    const { server, token } = await resolveCredentials();
    return new ApiClient(server, token);
  }

  get authorization(): string {
    return `Bearer ${this.token}`;
  }

  url(pathname: string, query: Query = {}): string {
    const url = new URL(`${this.server}/api/v1${pathname}`);
    for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== "") url.searchParams.set(key, String(value));
    return url.toString();
  }

  async send(method: string, pathname: string, options: { body?: unknown; query?: Query; headers?: Record<string, string> } = {}): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(this.url(pathname, options.query), {
        method,
        headers: {
          authorization: this.authorization,
          accept: "application/json",
          ...(options.body === undefined ? {} : { "content-type": "application/json" }),
          ...options.headers,
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
      throw new CliError(`Could not reach ${this.server}: ${cause}`);
    }
    if (!response.ok) throw await errorFrom(response);
    return response;
  }

  async json<T>(method: string, pathname: string, options: { body?: unknown; query?: Query } = {}): Promise<T> {
    const response = await this.send(method, pathname, options);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  get<T>(pathname: string, query: Query = {}): Promise<T> {
    return this.json<T>("GET", pathname, { query });
  }

  post<T>(pathname: string, body?: unknown): Promise<T> {
    return this.json<T>("POST", pathname, { body });
  }

  async delete(pathname: string): Promise<void> {
    await this.send("DELETE", pathname);
  }

  /** Every item of a list, following `nextCursor`; `max` stops early. */
  async all<T>(pathname: string, query: Query = {}, max = Number.POSITIVE_INFINITY): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.get<Page<T>>(pathname, { ...query, limit: Math.min(200, max - items.length), cursor });
      items.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor && items.length < max);
    return items;
  }
}

/** `{ref}` in a path: ids and names never hold a slash, but encode anyway. */
export const seg = (value: string) => encodeURIComponent(value);

/** A checkpoint file's path, each segment encoded and the slashes kept. */
export const filePathSegments = (filePath: string) => filePath.split("/").map(encodeURIComponent).join("/");
