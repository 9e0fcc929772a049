import "server-only";
import http from "node:http";
import https from "node:https";
import { Readable } from "node:stream";
import zlib from "node:zlib";
import { guardedAgents } from "@/lib/net/agents";

/**
 * Outbound HTTP for source adapters, over the guarded agents: every hop (redirects included) is
 * dialled through the address guard, only http(s) is followed, and credentials never follow a
 * redirect to another origin (Hugging Face and Kaggle hand out signed storage URLs that reject
 * them, and a hostile server must not collect them).
 */

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 10;
/** A socket silent for this long is a stalled transfer: fail it so the ingest is retried. */
const IDLE_TIMEOUT_MS = 60_000;
const CREDENTIAL_HEADERS = ["authorization", "cookie", "proxy-authorization"];

export type GuardedRequest = {
  method?: string;
  headers?: Record<string, string>;
  body?: Uint8Array;
  signal?: AbortSignal;
  /** `follow` (default) follows up to 10 redirects; `manual` returns the 3xx answer. */
  redirect?: "follow" | "manual";
};

export type GuardedResponse = {
  status: number;
  statusText: string;
  headers: http.IncomingHttpHeaders;
  /** The URL that answered, after redirects. */
  url: URL;
  redirected: boolean;
  body: http.IncomingMessage;
};

function once(url: URL, method: string, headers: Record<string, string>, body: Uint8Array | undefined, signal?: AbortSignal) {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return Promise.reject(new TypeError(`Refusing to fetch ${url.protocol} URLs; only http and https are allowed.`));
  }
  const secure = url.protocol === "https:";
  const agent = secure ? guardedAgents().https : guardedAgents().http;
  return new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = (secure ? https : http).request(url, { method, headers, agent, signal, timeout: IDLE_TIMEOUT_MS }, resolve);
    req.on("timeout", () => req.destroy(new Error(`${url.host} stopped answering for ${IDLE_TIMEOUT_MS / 1000} s.`)));
    req.on("error", reject);
    req.end(body);
  });
}

/** One HTTP exchange through the guarded agents, following redirects safely; the body is left unread. */
export async function guardedRequest(input: string | URL, init: GuardedRequest = {}): Promise<GuardedResponse> {
  let url = new URL(input);
  let method = (init.method ?? "GET").toUpperCase();
  let body = init.body;
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(init.headers ?? {})) headers[key.toLowerCase()] = value;
  for (let hop = 0; ; hop++) {
    const res = await once(url, method, headers, body, init.signal);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (init.redirect === "manual" || !REDIRECTS.has(status) || !location) {
      return { status, statusText: res.statusMessage ?? "", headers: res.headers, url, redirected: hop > 0, body: res };
    }
    res.resume();
    if (hop >= MAX_REDIRECTS) throw new Error(`${url.host} redirected more than ${MAX_REDIRECTS} times.`);
    const next = new URL(location, url);
    if (next.origin !== url.origin) for (const name of CREDENTIAL_HEADERS) delete headers[name];
    if (status === 303 || ((status === 301 || status === 302) && method === "POST")) {
      method = method === "HEAD" ? "HEAD" : "GET";
      body = undefined;
      delete headers["content-type"];
      delete headers["content-length"];
    }
    url = next;
  }
}

async function bodyBytes(body: RequestInit["body"] | undefined): Promise<Uint8Array | undefined> {
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string" || body instanceof URLSearchParams) return Buffer.from(body.toString());
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof Blob) return new Uint8Array(await body.arrayBuffer());
  return new Uint8Array(await new Response(body).arrayBuffer());
}

function decoded(res: http.IncomingMessage): Readable {
  switch (res.headers["content-encoding"]) {
    case "gzip":
    case "x-gzip":
      return res.pipe(zlib.createGunzip());
    case "deflate":
      return res.pipe(zlib.createInflate());
    case "br":
      return res.pipe(zlib.createBrotliDecompress());
    default:
      return res;
  }
}

/**
 * A drop-in `fetch` over the guarded agents, for SDKs that accept one (@huggingface/hub) and
 * for our own JSON calls. Node's built-in fetch cannot take an http.Agent, hence this.
 */
export const guardedFetch: typeof fetch = async (input, init = {}) => {
  const request = input instanceof Request ? input : null;
  const headers: Record<string, string> = {};
  new Headers(request?.headers).forEach((value, key) => (headers[key] = value));
  new Headers(init.headers).forEach((value, key) => (headers[key] = value));
  if (init.redirect === "error") throw new TypeError("guardedFetch does not support redirect: 'error'.");
  const method = (init.method ?? request?.method ?? "GET").toUpperCase();
  const res = await guardedRequest(request ? request.url : input.toString(), {
    method,
    headers,
    body: await bodyBytes(init.body ?? (request?.body ? await request.arrayBuffer() : undefined)),
    signal: init.signal ?? request?.signal ?? undefined,
    redirect: init.redirect === "manual" ? "manual" : "follow",
  });
  const empty = method === "HEAD" || res.status === 204 || res.status === 304;
  if (empty) res.body.resume();
  const responseHeaders = new Headers();
  for (const [key, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) responseHeaders.append(key, v);
  }
  const stream = empty ? null : (Readable.toWeb(decoded(res.body)) as ReadableStream<Uint8Array>);
  const response = new Response(stream, { status: res.status, statusText: res.statusText, headers: responseHeaders });
  Object.defineProperty(response, "url", { value: res.url.href });
  Object.defineProperty(response, "redirected", { value: res.redirected });
  return response;
};

/** Reads a whole (small) answer body as text, e.g. an error message or a JSON document. */
export async function readText(body: Readable, limit = 4 * 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      body.destroy();
      throw new Error(`The answer is larger than ${limit} bytes.`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
