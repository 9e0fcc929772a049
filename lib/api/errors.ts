import { ZodError } from "zod";

export const errorStatus = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  quota_exceeded: 413,
  validation_failed: 422,
  rate_limited: 429,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export type ErrorBody = {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
};

/** An error meant for the caller: its code picks the status, its message says what to do. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "ApiError";
  }

  get status(): number {
    return errorStatus[this.code];
  }
}

export const notFound = (what: string) => new ApiError("not_found", `${what} was not found.`);

/** `429 rate_limited`: answered with `Retry-After`, the seconds until the caller may try again. */
export class RateLimitedError extends ApiError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    details: Record<string, unknown> = {},
  ) {
    super("rate_limited", message, { retryAfterSeconds, ...details });
    this.name = "RateLimitedError";
  }
}

/** Turns a zod failure into `validation_failed`, naming each field and what it broke. */
export function fromZodError(error: ZodError): ApiError {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    const keys = issue.code === "unrecognized_keys" ? issue.keys : [issue.path.join(".") || "body"];
    for (const key of keys) fields[key] ??= issue.message;
  }
  const summary = Object.entries(fields)
    .map(([field, message]) => `${field}: ${message}`)
    .join("; ");
  return new ApiError("validation_failed", `Fix these fields and try again — ${summary}`, { fields });
}

export function errorResponse(error: ApiError, headers?: HeadersInit): Response {
  const body: ErrorBody = { error: { code: error.code, message: error.message } };
  if (error.details) body.error.details = error.details;
  const response = Response.json(body, { status: error.status, headers });
  if (error instanceof RateLimitedError) response.headers.set("retry-after", String(error.retryAfterSeconds));
  return response;
}

/** Maps anything thrown to the envelope; unknown errors are logged with the request id only. */
export function toErrorResponse(error: unknown, requestId: string): Response {
  if (error instanceof ApiError) return errorResponse(error, { "x-request-id": requestId });
  if (error instanceof ZodError) return errorResponse(fromZodError(error), { "x-request-id": requestId });
  console.error(`[${requestId}] unhandled error`, error);
  return errorResponse(
    new ApiError("internal", `Something went wrong on the server. Quote request id ${requestId} when you report it.`),
    { "x-request-id": requestId },
  );
}
