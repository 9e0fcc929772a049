import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setBlobStore } from "@/lib/storage";
import { checkAnswer, checkFetchedAnswer } from "./openapi";

type Handler = (request: Request, context: { params: Promise<Record<string, unknown>> }) => Promise<Response>;

export type CallOptions = {
  method?: string;
  body?: unknown;
  rawBody?: BodyInit;
  token?: string;
  basic?: [string, string];
  headers?: Record<string, string>;
  params?: Record<string, unknown>;
  query?: Record<string, string>;
};

/**
 * Calls a route handler in-process with a real Request, as Next.js would. The answer is held to the
 * OpenAPI document (tests/helpers/openapi.ts `checkAnswer`): a test fails on an answer it does not describe.
 */
export async function call(handler: unknown, url: string, opts: CallOptions = {}): Promise<Response> {
  const headers = new Headers(opts.headers);
  if (opts.token) headers.set("authorization", `Bearer ${opts.token}`);
  if (opts.basic) headers.set("authorization", `Basic ${Buffer.from(opts.basic.join(":")).toString("base64")}`);
  let body: BodyInit | undefined = opts.rawBody;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers.set("content-type", "application/json");
  }
  const target = new URL(url, "http://cairn.test");
  for (const [key, value] of Object.entries(opts.query ?? {})) target.searchParams.set(key, value);
  const init: RequestInit & { duplex?: "half" } = { method: opts.method ?? "GET", headers, body };
  if (body instanceof ReadableStream) init.duplex = "half";
  const response = await (handler as Handler)(new Request(target, init), { params: Promise.resolve(opts.params ?? {}) });
  await checkAnswer(handler, init.method ?? "GET", opts.params ?? {}, response);
  return response;
}

/** The JSON of an answer; one fetched from a served Cairn is held to the OpenAPI document too (`call` checked the others). */
export async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  const body: unknown = await response.json();
  if (response.url) checkFetchedAnswer(response.url, response.status, body);
  return body as T;
}

/** A data directory of the test's own for blobs, uploads and generated keys. */
export function useTempDataDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), "cairn-test-"));
  process.env.CAIRN_DATA_DIR = dir;
  setBlobStore(undefined);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
