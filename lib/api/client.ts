import type { ErrorCode } from "./errors";

/** A failed API call, carrying the envelope's code, message and details. */
export class ApiClientError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | "network_error",
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "ApiClientError";
  }

  /** The per-field messages of a `validation_failed` or `conflict` answer, if any. */
  get fields(): Record<string, string> {
    const fields = this.details?.fields;
    return fields && typeof fields === "object" ? (fields as Record<string, string>) : {};
  }
}

type Envelope = { error?: { code?: ErrorCode; message?: string; details?: Record<string, unknown> } };

async function toError(response: Response): Promise<ApiClientError> {
  const body = (await response.json().catch(() => null)) as Envelope | null;
  const error = body?.error;
  return new ApiClientError(
    response.status,
    error?.code ?? "internal",
    error?.message ?? `The server answered ${response.status} ${response.statusText}.`.trim(),
    error?.details,
  );
}

async function send(path: string, init: RequestInit = {}): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(path, {
      ...init,
      headers: { accept: "application/json", ...(init.body ? { "content-type": "application/json" } : {}), ...init.headers },
      credentials: "same-origin",
    });
  } catch {
    throw new ApiClientError(0, "network_error", "Could not reach the Cairn server. Check your connection and try again.");
  }
  if (!response.ok) throw await toError(response);
  return response;
}

/** `?a=1&b=2` from an object, leaving out empty values. */
export function searchParams(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

/** The typed fetch wrapper every query and mutation uses; non-2xx answers throw `ApiClientError`. */
export const api = {
  async get<T>(path: string, init?: RequestInit): Promise<T> {
    return (await send(path, init)).json() as Promise<T>;
  },
  async text(path: string, init?: RequestInit): Promise<string> {
    return (await send(path, { ...init, headers: { accept: "text/plain, application/yaml" } })).text();
  },
  async post<T>(path: string, body?: unknown): Promise<T> {
    const response = await send(path, { method: "POST", body: body === undefined ? undefined : JSON.stringify(body) });
    return (response.status === 204 ? undefined : response.json()) as Promise<T>;
  },
  async patch<T>(path: string, body: unknown): Promise<T> {
    return (await send(path, { method: "PATCH", body: JSON.stringify(body) })).json() as Promise<T>;
  },
  async delete(path: string): Promise<void> {
    await send(path, { method: "DELETE" });
  },
};

/** The message to show for any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return "Something went wrong. Try again.";
}
