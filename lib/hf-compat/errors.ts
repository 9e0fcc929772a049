import { ZodError } from "zod";
import { ApiError, RateLimitedError } from "@/lib/api/errors";

/** The `X-Error-Code`s the Hub's clients branch on (huggingface_hub's `hf_raise_for_status`). */
export type HubErrorCode = "RepoNotFound" | "RevisionNotFound" | "EntryNotFound" | "GatedRepo";

/**
 * The Hub's clients read `X-Error-Message` as-is: this exact sentence on a 401 tells them the token
 * is wrong, where any other 401 on a repo URL is taken for "private or missing repo".
 */
export const INVALID_CREDENTIALS = "Invalid credentials in Authorization header";

/**
 * An answer of the Hub-compatible endpoints, shaped as the Hub shapes errors: `{"error": message}`
 * with `X-Error-Code` (when the Hub sends one) and `X-Error-Message`, so `huggingface_hub` raises
 * `RepositoryNotFoundError`, `RevisionNotFoundError`, … and @huggingface/hub shows the message.
 */
export class HubError extends Error {
  constructor(
    readonly status: number,
    readonly code: HubErrorCode | null,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "HubError";
  }
}

/** Header values must be Latin-1; messages may hold dashes and quotes a person reads. */
const asciiHeader = (text: string) => text.replace(/[\u2018\u2019]/g, "'").replace(/[\u2013\u2014]/g, "-").replace(/[^\x20-\x7e]/g, "?");

function hubAnswer(status: number, message: string, headers: Record<string, string>, requestId: string, head: boolean): Response {
  const all = new Headers({ "x-error-message": asciiHeader(message), "x-request-id": requestId, ...headers });
  if (head) return new Response(null, { status, headers: all });
  return Response.json({ error: message }, { status, headers: all });
}

/**
 * Anything thrown by a Hub-compatible handler, as the Hub would answer it: a HubError as it says,
 * the API's own errors (a rate limit, a bad range) with their status and message, a ZodError as a
 * 400, anything else logged with the request id and answered 500 without internals. HEAD answers
 * carry the headers only.
 */
export function toHubErrorResponse(error: unknown, requestId: string, head = false): Response {
  if (error instanceof HubError) {
    return hubAnswer(error.status, error.message, { ...(error.code ? { "x-error-code": error.code } : {}), ...error.headers }, requestId, head);
  }
  if (error instanceof ApiError) {
    const extra: Record<string, string> = error instanceof RateLimitedError ? { "retry-after": String(error.retryAfterSeconds) } : {};
    return hubAnswer(error.status, error.message, extra, requestId, head);
  }
  if (error instanceof ZodError) {
    const fields = error.issues.map((issue) => `${issue.path.join(".") || "query"}: ${issue.message}`).join("; ");
    return hubAnswer(400, `Bad query parameters — ${fields}`, {}, requestId, head);
  }
  console.error(`[${requestId}] unhandled error`, error);
  return hubAnswer(500, `Something went wrong on the server. Quote request id ${requestId} when you report it.`, {}, requestId, head);
}
