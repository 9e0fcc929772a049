import "server-only";
import http from "node:http";
import https from "node:https";
import type { Readable } from "node:stream";
import { guardedAgents } from "@/lib/net/agents";
import { BlockedAddressError } from "@/lib/net/guard";
import { NotResumableError, resumableStream, retryPolicy, TransientError, withRetry, type RetryPolicy } from "./resumable";
import { PermanentSourceError, type PermanentReason } from "../types";

export { DEFAULT_RETRY, NotResumableError, retryPolicy, type RetryPolicy } from "./resumable";

/*
 * Guarded, retrying, resumable HTTP for source adapters. Every request goes through the guarded
 * agents, so each connection — first hop and every redirect — is judged on the address dialled.
 */

export type HttpOptions = { headers?: Record<string, string>; signal?: AbortSignal; retry?: Partial<RetryPolicy> };

export type HttpGetOptions = HttpOptions & {
  /** Inclusive byte range; the answer must be a 206 for exactly this range. */
  range?: { start: number; end: number };
  /** A validator (strong ETag or Last-Modified) the answer must match, so ranges never mix versions. */
  ifRange?: string;
};

/** What a server says about a resource, from a HEAD or the headers of a GET. */
export type HttpResourceInfo = {
  /** The URL that answered, after redirects (may carry signed query parameters: do not log it). */
  url: string;
  /** Bytes in this answer's body (the range for a 206). */
  size: number | null;
  /** Bytes of the whole resource. */
  totalSize: number | null;
  /** Strong ETag, else Last-Modified: what If-Range needs. */
  validator: string | null;
  acceptRanges: boolean;
  contentType: string | null;
  /** From Content-Disposition, unsanitized. */
  fileName: string | null;
};

export type HttpStream = { body: Readable; info: HttpResourceInfo };

/** An answer no retry will change (4xx, 501, 505), with `status` so callers can word their own advice (e.g. a missing token). */
export class HttpStatusError extends PermanentSourceError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message, statusReason(status));
    this.name = "HttpStatusError";
  }
}

function statusReason(status: number): PermanentReason {
  if (status === 404 || status === 410) return "not_found";
  if (status === 401 || status === 403 || status === 407) return "denied";
  return "invalid";
}

const MAX_REDIRECTS = 10;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Answers to HEAD that often mean "HEAD is not allowed here" (S3 presigned GET URLs answer 403). */
const HEAD_REFUSED = new Set([400, 403, 405, 501]);
const CERT_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;

/** A URL as it may appear in messages and logs: no credentials, no (possibly signed) query. */
export function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}${url.search ? "?…" : ""}`;
}

/** HEAD (falling back to a GET whose body is not read when HEAD is refused), with retries. */
export async function httpHead(url: string, options: HttpOptions = {}): Promise<HttpResourceInfo> {
  const { target, headers, policy } = prepare(url, options);
  return withRetry(policy, options.signal, async () => {
    const head = await send("HEAD", target, headers, policy, options.signal);
    head.res.resume();
    if (isSuccess(head.res)) return infoFrom(head.res, head.url);
    if (!HEAD_REFUSED.has(head.res.statusCode ?? 0)) throw statusFailure(head.res, target, head.url);
    const get = await send("GET", target, headers, policy, options.signal);
    get.res.destroy();
    if (isSuccess(get.res)) return infoFrom(get.res, get.url);
    throw statusFailure(get.res, target, get.url);
  });
}

/** GET a JSON document (at most `maxBytes`, 16 MiB by default) with retries; validate the result with zod. */
export async function httpJson(url: string, options: HttpOptions & { maxBytes?: number } = {}): Promise<unknown> {
  const { target, headers, policy } = prepare(url, { ...options, headers: { accept: "application/json", ...options.headers } });
  const maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
  return withRetry(policy, options.signal, async () => {
    const { res, url: final } = await send("GET", target, headers, policy, options.signal);
    if (!isSuccess(res)) throw statusFailure(res, target, final);
    const chunks: Buffer[] = [];
    let length = 0;
    try {
      for await (const chunk of res) {
        length += (chunk as Buffer).length;
        if (length > maxBytes) throw new PermanentSourceError(`${displayUrl(target)} answered more than ${maxBytes} bytes of JSON.`);
        chunks.push(chunk as Buffer);
      }
    } catch (error) {
      res.destroy();
      throw networkFailure(error, target);
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
    } catch {
      throw new PermanentSourceError(`${displayUrl(target)} did not answer with JSON.`);
    }
  });
}

/**
 * GET as a stream. The first answer is awaited (with retries), so a 404 rejects here; after that
 * the body resumes by itself with `Range: bytes=<received>-` and If-Range when the connection
 * drops, and fails (NotResumableError) if the server then ignores the range.
 */
export async function httpGetStream(url: string, options: HttpGetOptions = {}): Promise<HttpStream> {
  const { target, headers, policy } = prepare(url, options);
  const { range, signal } = options;
  let validator = options.ifRange ?? null;
  let total: number | null = null;

  const openAt = async (offset: number) => {
    const from = (range?.start ?? 0) + offset;
    const ranged = range !== undefined || offset > 0;
    const request = { ...headers };
    if (ranged) request.range = `bytes=${from}-${range ? range.end : ""}`;
    if (ranged && validator) request["if-range"] = validator;
    const answer = await send("GET", target, request, policy, signal);
    const { res } = answer;
    if (!isSuccess(res)) throw statusFailure(res, target, answer.url);
    if (!ranged) return answer;
    const got = parseContentRange(res.headers["content-range"]);
    const wantLast = range ? range.end : total !== null ? total - 1 : null;
    const matches = res.statusCode === 206 && got && got.first === from && (wantLast === null || got.last === wantLast) && (total === null || got.total === null || got.total === total);
    if (matches) return answer;
    res.destroy();
    throw new NotResumableError(
      `${displayUrl(target)} ${offset > 0 ? "did not continue the interrupted download where it stopped" : "did not answer the byte range asked for"} ` +
        `(answered ${res.statusCode}${got ? `, ${res.headers["content-range"]}` : " without Content-Range"}); it cannot be resumed.`,
    );
  };

  const first = await withRetry(policy, signal, () => openAt(0));
  const info = infoFrom(first.res, first.url);
  validator ??= info.validator;
  total = info.totalSize;
  const body = resumableStream({
    first: { body: first.res },
    openAt: async (offset) => ({ body: (await openAt(offset)).res }),
    expected: info.size,
    policy,
    signal,
    what: displayUrl(target),
  });
  return { body, info };
}

function prepare(raw: string, options: HttpOptions) {
  let target: URL;
  try {
    target = new URL(raw);
  } catch {
    throw new PermanentSourceError(`${raw.replace(/\/\/[^/@]*@/, "//")} is not a valid URL.`);
  }
  if (target.protocol !== "http:" && target.protocol !== "https:") throw new PermanentSourceError(`${displayUrl(target)} is not an http:// or https:// URL.`);
  const headers: Record<string, string> = { "accept-encoding": "identity", "user-agent": "cairn", ...lowerCased(options.headers) };
  // Credentials move to a header so same-origin redirects keep them and cross-origin ones drop them.
  if (target.username || target.password) {
    headers.authorization ??= `Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString("base64")}`;
    target.username = "";
    target.password = "";
  }
  return { target, headers, policy: retryPolicy(options.retry) };
}

function lowerCased(headers: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

/** One request, following redirects ourselves: the guarded agent judges each hop's connection. */
async function send(method: "GET" | "HEAD", start: URL, headers: Record<string, string>, policy: RetryPolicy, signal?: AbortSignal) {
  let url = start;
  let verb = method;
  let current = headers;
  for (let hop = 0; ; hop++) {
    const res = await requestOnce(verb, url, current, policy.timeoutMs, signal);
    const location = res.headers.location;
    if (!REDIRECTS.has(res.statusCode ?? 0) || !location) return { res, url };
    res.resume();
    if (hop === MAX_REDIRECTS) throw new PermanentSourceError(`${displayUrl(start)} redirected more than ${MAX_REDIRECTS} times.`);
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new PermanentSourceError(`${displayUrl(url)} redirected to an invalid URL.`);
    }
    if (next.protocol !== "http:" && next.protocol !== "https:") {
      throw new PermanentSourceError(`${displayUrl(url)} redirected to a ${next.protocol}// URL; only redirects to http:// and https:// are followed.`);
    }
    if (next.origin !== url.origin) {
      const { authorization: _a, cookie: _c, "proxy-authorization": _p, ...rest } = current;
      current = rest;
    }
    if (res.statusCode === 303 && verb !== "HEAD") verb = "GET";
    url = next;
  }
}

function requestOnce(method: string, url: URL, headers: Record<string, string>, timeoutMs: number, signal?: AbortSignal): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const options = { method, headers, signal, timeout: timeoutMs };
    const req =
      url.protocol === "https:"
        ? https.request(url, { ...options, agent: guardedAgents().https }, resolve)
        : http.request(url, { ...options, agent: guardedAgents().http }, resolve);
    req.on("timeout", () => req.destroy(new TransientError(`${displayUrl(url)} did not answer within ${timeoutMs / 1000} s.`)));
    req.on("error", (error) => reject(networkFailure(error, url)));
    req.end();
  });
}

function isSuccess(res: http.IncomingMessage): boolean {
  const status = res.statusCode ?? 0;
  return status >= 200 && status < 300;
}

/** Turns a socket-level failure into a permanent sentence or a retryable error. */
function networkFailure(error: unknown, url: URL): unknown {
  if (!(error instanceof Error) || error instanceof PermanentSourceError || error instanceof TransientError || error.name === "AbortError") return error;
  const code = String((error as NodeJS.ErrnoException).code ?? "");
  if (error instanceof BlockedAddressError || code === "EBLOCKEDADDRESS") return new PermanentSourceError(error.message, "denied");
  if (code === "ENOTFOUND") return new PermanentSourceError(`The host ${url.hostname} was not found. Check the URL.`, "not_found");
  if (CERT_ERROR.test(code)) {
    return new PermanentSourceError(`The TLS certificate of ${url.host} could not be verified (${code}). Check the URL, or ask the server's owner to fix the certificate.`, "denied");
  }
  return new TransientError(`${displayUrl(url)} failed: ${error.message}.`, undefined, { cause: error });
}

function statusFailure(res: http.IncomingMessage, original: URL, final: URL): Error {
  res.resume();
  const status = res.statusCode ?? 0;
  const where = final.href === original.href ? "" : ` (after redirects, at ${displayUrl(final)})`;
  const text = `${displayUrl(original)}${where} answered ${status} ${http.STATUS_CODES[status] ?? ""}`.trimEnd();
  if (status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505)) {
    return new TransientError(`${text}.`, retryAfterMs(res.headers["retry-after"]), { reason: status === 429 ? "throttled" : undefined });
  }
  return new HttpStatusError(status, `${text}. ${advice(status)}`);
}

function advice(status: number): string {
  if (status === 401) return "The server wants credentials: use a public URL, or put them in it (https://user:password@host/…).";
  if (status === 403) return "Check that the URL is public and still valid (signed links expire).";
  return "Check the URL.";
}

function retryAfterMs(header: string | undefined): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function infoFrom(res: http.IncomingMessage, url: URL): HttpResourceInfo {
  const h = res.headers;
  const length = h["content-length"] !== undefined && /^\d+$/.test(h["content-length"]) ? Number(h["content-length"]) : null;
  const range = res.statusCode === 206 ? parseContentRange(h["content-range"]) : null;
  const etag = h.etag && !h.etag.startsWith("W/") ? h.etag : null;
  return {
    url: url.href,
    size: range ? range.last - range.first + 1 : length,
    totalSize: range ? range.total : length,
    validator: etag ?? h["last-modified"] ?? null,
    acceptRanges: /\bbytes\b/i.test(h["accept-ranges"] ?? ""),
    contentType: h["content-type"] ?? null,
    fileName: dispositionFileName(h["content-disposition"]),
  };
}

function parseContentRange(header: string | undefined) {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header?.trim() ?? "");
  if (!match) return null;
  return { first: Number(match[1]), last: Number(match[2]), total: match[3] === "*" ? null : Number(match[3]) };
}

function dispositionFileName(header: string | undefined): string | null {
  if (!header) return null;
  const extended = /filename\*\s*=\s*utf-8''([^;\s]+)/i.exec(header);
  if (extended) {
    try {
      return decodeURIComponent(extended[1]);
    } catch {
      // fall through to the plain parameter
    }
  }
  const plain = /filename\s*=\s*(?:"([^"]*)"|([^;\s]+))/i.exec(header);
  return plain?.[1] ?? plain?.[2] ?? null;
}
