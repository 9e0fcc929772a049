import { readdirSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { Readable } from "node:stream";
import { hardenHttpServer } from "@/lib/net/http-server";

type Handler = (request: Request, context: { params: Promise<Record<string, unknown>> }) => Promise<Response>;
type Segment = { kind: "static"; value: string } | { kind: "param"; name: string } | { kind: "rest"; name: string; optional: boolean };
type Route = { segments: Segment[]; file: string; module?: Record<string, unknown> };

const appDir = path.resolve(import.meta.dirname, "../../app");

function routeFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...routeFiles(full));
    else if (entry.name === "route.ts") found.push(full);
  }
  return found;
}

function parse(file: string): Route {
  const parts = path.relative(appDir, path.dirname(file)).split(path.sep).filter((p) => p && !/^\(.*\)$/.test(p));
  const segments = parts.map((part): Segment => {
    const optional = /^\[\[\.\.\.(.+)\]\]$/.exec(part);
    if (optional?.[1]) return { kind: "rest", name: optional[1], optional: true };
    const rest = /^\[\.\.\.(.+)\]$/.exec(part);
    if (rest?.[1]) return { kind: "rest", name: rest[1], optional: false };
    const param = /^\[(.+)\]$/.exec(part);
    if (param?.[1]) return { kind: "param", name: param[1] };
    return { kind: "static", value: part };
  });
  return { segments, file };
}

/** Static segments before dynamic ones before catch-alls, as Next.js matches. */
const rank = (route: Route) => route.segments.map((s) => (s.kind === "static" ? "0" : s.kind === "param" ? "1" : "2")).join("");

function match(route: Route, parts: string[]): Record<string, unknown> | null {
  const params: Record<string, unknown> = {};
  for (let i = 0; i < route.segments.length; i += 1) {
    const segment = route.segments[i];
    if (!segment) return null;
    if (segment.kind === "rest") {
      const restParts = parts.slice(i);
      if (restParts.length === 0 && !segment.optional) return null;
      if (restParts.length > 0) params[segment.name] = restParts;
      return params;
    }
    const part = parts[i];
    if (part === undefined) return null;
    if (segment.kind === "static" && segment.value !== part) return null;
    if (segment.kind === "param") params[segment.name] = part;
  }
  return parts.length === route.segments.length ? params : null;
}

export type ApiServer = { url: string; server: http.Server; close(): Promise<void> };

/**
 * The app's route handlers behind a real HTTP server on loopback, as `next start` serves them, for
 * the tests whose other side is a separate process (the job agent, the CLI): every `route.ts` under
 * `app/` is matched by its path, its params passed as Next.js passes them.
 */
export async function startApiServer({ port = 0, keepAliveTimeoutMs }: { port?: number; keepAliveTimeoutMs?: number } = {}): Promise<ApiServer> {
  const routes = routeFiles(appDir)
    .map(parse)
    .sort((a, b) => (rank(a) < rank(b) ? -1 : rank(a) > rank(b) ? 1 : 0));
  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
      for (const route of routes) {
        const params = match(route, parts);
        if (!params) continue;
        route.module ??= (await import(route.file)) as Record<string, unknown>;
        const handler = route.module[req.method ?? "GET"] as Handler | undefined;
        if (!handler) break;
        const headers = new Headers();
        for (const [key, value] of Object.entries(req.headers)) if (typeof value === "string") headers.set(key, value);
        const hasBody = req.method !== "GET" && req.method !== "HEAD";
        const init: RequestInit & { duplex?: "half" } = { method: req.method, headers, ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream, duplex: "half" } : {}) };
        const response = await handler(new Request(url, init), { params: Promise.resolve(params) });
        res.writeHead(response.status, Object.fromEntries(response.headers));
        if (response.body && req.method !== "HEAD") {
          for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) res.write(chunk);
        }
        res.end();
        return;
      }
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { code: "not_found", message: "No such route." } }));
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
      else res.destroy();
    });
  });
  // As instrumentation.ts does for `next start`'s server.
  hardenHttpServer(server, { keepAliveTimeoutMs });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
