import { randomUUID } from "node:crypto";
import type http from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { toErrorResponse } from "@/lib/api/errors";
import { nodeSourceOf } from "@/lib/api/response-stream";
import { attachNodeBody } from "@/lib/uploads/body-chunks";
import { HSTS, securityHeaders } from "./security-headers";

type Handler = (request: Request, context: { params: Promise<Record<string, unknown>> }) => Promise<Response>;
type Module = Record<string, unknown>;

/**
 * A route whose bodies are bytes by the gigabyte. Its handlers are the App Router's own (the same
 * `route.ts`, with the same auth, limits and error envelope); only the bodies travel differently.
 */
type PlainRoute = {
  pattern: RegExp;
  methods: readonly string[];
  params(match: RegExpExecArray): Record<string, unknown>;
  load(): Promise<Module>;
};

const decode = (segment: string) => decodeURIComponent(segment);

const ROUTES: PlainRoute[] = [
  {
    pattern: /^\/api\/v1\/checkpoints\/([^/]+)\/files\/(.+)$/,
    methods: ["GET", "HEAD", "PUT"],
    params: (m) => ({ ref: decode(m[1]!), path: m[2]!.split("/").map(decode) }),
    load: () => import("@/app/api/v1/checkpoints/[ref]/files/[...path]/route"),
  },
  {
    pattern: /^\/api\/v1\/uploads(?:\/([^/]+))?\/?$/,
    methods: ["POST", "HEAD", "PATCH", "DELETE"],
    params: (m) => (m[1] ? { id: [decode(m[1])] } : {}),
    load: () => import("@/app/api/v1/uploads/[[...id]]/route"),
  },
  {
    pattern: /^\/api\/v1\/checkpoints\/([^/]+)\/archive$/,
    methods: ["GET", "HEAD"],
    params: (m) => ({ ref: decode(m[1]!) }),
    load: () => import("@/app/api/v1/checkpoints/[ref]/archive/route"),
  },
  {
    // Hugging Face clients' downloads (`/{org}/{checkpoint}/resolve/{revision}/{path}`).
    pattern: /^\/([^/]+)\/([^/]+)\/resolve\/([^/]+)\/(.+)$/,
    methods: ["GET", "HEAD"],
    params: (m) => ({ ns: decode(m[1]!), name: decode(m[2]!), rev: decode(m[3]!), path: m[4]!.split("/").map(decode) }),
    load: () => import("@/app/[ns]/[name]/resolve/[rev]/[...path]/route"),
  },
];

const modules = new Map<PlainRoute, Promise<Module>>();

function find(req: http.IncomingMessage): { route: PlainRoute; params: Record<string, unknown>; url: URL } | null {
  const method = req.method ?? "GET";
  let url: URL;
  try {
    url = new URL(req.url ?? "/", `http://${req.headers.host || "localhost"}`);
  } catch {
    return null;
  }
  for (const route of ROUTES) {
    if (!route.methods.includes(method)) continue;
    const match = route.pattern.exec(url.pathname);
    if (!match) continue;
    try {
      return { route, params: route.params(match), url };
    } catch {
      return null; // a malformed escape: Next.js answers it as it does today
    }
  }
  return null;
}

function headersOf(req: http.IncomingMessage): Headers {
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    if (key.startsWith(":") || value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(key, one);
  }
  return headers;
}

async function respond(req: http.IncomingMessage, res: http.ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  // A refusal (or a limit) before the whole body arrived: the rest is not read, so the connection
  // cannot carry another request; closing it is what tells the client to stop sending.
  const unread = !req.complete;
  for (const header of securityHeaders) res.setHeader(header.key, header.value);
  if (req.headers["x-forwarded-proto"] === "https") res.setHeader(HSTS.key, HSTS.value);
  response.headers.forEach((value, key) => {
    if (key !== "set-cookie") res.setHeader(key, value);
  });
  if (unread) res.setHeader("connection", "close");
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader("set-cookie", cookies);
  const source = nodeSourceOf(response.body);
  if (!response.body || req.method === "HEAD") {
    source?.destroy();
    await response.body?.cancel().catch(() => {});
    res.end();
    return;
  }
  // The blob store's own stream straight into the socket; any other body through its web stream.
  await pipeline(source ?? Readable.fromWeb(response.body as import("node:stream/web").ReadableStream<Uint8Array>), res);
}

/**
 * Serves `req` when it is one of the data-plane routes — file PUT and GET (with Range), tus, the
 * archive, Hugging Face downloads — by calling the route's handler with a headers-only `Request` whose body is the Node
 * stream itself (`requestChunks` reads it), and by piping a blob's Node stream straight into the
 * response: the App Router's conversions to and from web streams cost a promise, a buffer and an
 * allocation per chunk, a CPU second per few GiB on a small machine. Answers false for anything
 * else, which Next.js serves.
 */
export function serveDataPlane(req: http.IncomingMessage, res: http.ServerResponse): boolean {
  const found = find(req);
  if (!found) return false;
  const { route, params, url } = found;
  void (async () => {
    const loaded = await (modules.get(route) ?? modules.set(route, route.load()).get(route)!);
    // HEAD of a route without its own is its GET without the body, as Next.js does.
    const handler = (loaded[req.method!] ?? (req.method === "HEAD" ? loaded.GET : undefined)) as Handler | undefined;
    if (!handler) throw new Error(`${route.pattern} lists ${req.method} but its route exports none`);
    const gone = new AbortController();
    res.once("close", () => {
      if (!res.writableFinished) gone.abort();
    });
    const request = new Request(url, { method: req.method === "HEAD" && !loaded.HEAD ? "GET" : req.method, headers: headersOf(req), signal: gone.signal });
    attachNodeBody(request, req);
    await respond(req, res, await handler(request, { params: Promise.resolve(params) }));
  })().catch((error: unknown) => {
    if (res.headersSent) {
      res.destroy(error as Error);
      return;
    }
    void respond(req, res, toErrorResponse(error, randomUUID())).catch(() => res.destroy());
  });
  return true;
}
