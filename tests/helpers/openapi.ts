import { readdirSync } from "node:fs";
import path from "node:path";
import { answerProblems } from "@/lib/api/openapi/answers";
import { apiOperations, findOperation } from "@/lib/api/openapi/operations";
import { httpMethods, type HttpMethod, type Operation } from "@/lib/api/openapi/registry";

const appDir = path.resolve(import.meta.dirname, "../../app");

/** The route files the document covers: every one under app/api/v1, and the health check. */
export function documentedRouteFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return walk(full);
      return entry.name === "route.ts" ? [full] : [];
    });
  return [...walk(path.join(appDir, "api/v1")), path.join(appDir, "api/health/route.ts")].sort();
}

/**
 * The OpenAPI paths a route file answers: `[ref]` is `{ref}`, `[...path]` is `{path}`, and an
 * optional catch-all `[[...id]]` answers both without and with `{id}`.
 */
export function routePaths(file: string): { path: string; optionalParam?: string }[] {
  const parts = path.relative(appDir, path.dirname(file)).split(path.sep).filter((p) => p && !/^\(.*\)$/.test(p));
  const last = parts.at(-1) ?? "";
  const optional = /^\[\[\.\.\.(.+)\]\]$/.exec(last)?.[1];
  const template = (segments: string[]) => `/${segments.map((s) => s.replace(/^\[(?:\.\.\.)?(.+?)\]$/, "{$1}")).join("/")}`;
  if (optional) return [{ path: template(parts.slice(0, -1)) }, { path: `${template(parts.slice(0, -1))}/{${optional}}`, optionalParam: optional }];
  return [{ path: template(parts) }];
}

/** The HTTP methods a route module exports. */
export function exportedMethods(routeModule: Record<string, unknown>): HttpMethod[] {
  return httpMethods.filter((method) => typeof routeModule[method.toUpperCase()] === "function");
}

type RouteEntry = { paths: ReturnType<typeof routePaths> };
let handlers: Promise<Map<unknown, RouteEntry>> | undefined;

/** Each exported handler of the documented routes, by function (one function may serve several methods, as tus's does). */
function handlerRoutes(): Promise<Map<unknown, RouteEntry>> {
  handlers ??= (async () => {
    const map = new Map<unknown, RouteEntry>();
    for (const file of documentedRouteFiles()) {
      const routeModule = (await import(file)) as Record<string, unknown>;
      for (const method of exportedMethods(routeModule)) map.set(routeModule[method.toUpperCase()], { paths: routePaths(file) });
    }
    return map;
  })();
  return handlers;
}

const isJson = (response: Response) => /^application\/(?:[\w.+-]+\+)?json\b/.test(response.headers.get("content-type") ?? "");

function fail(what: string, status: number, problems: string[], body: unknown): never {
  const sent = body === undefined ? "" : `\nbody: ${JSON.stringify(body).slice(0, 2000)}`;
  throw new Error(`The answer to ${what} (${status}) is not what the OpenAPI document says:\n - ${problems.join("\n - ")}${sent}`);
}

/**
 * Holds an answer a route handler gave to the document (lib/api/openapi): its status must be
 * documented for the operation, and a JSON body must parse with the operation's schema and name no
 * field the schema does not. Throws saying what differs. Handlers outside the document's routes
 * (Auth.js, the Hugging Face API) pass unchecked; one inside them with no operation fails.
 */
export async function checkAnswer(handler: unknown, method: string, params: Record<string, unknown>, response: Response): Promise<void> {
  const route = (await handlerRoutes()).get(handler);
  if (!route) return;
  const lower = method.toLowerCase() as HttpMethod;
  const candidates = route.paths.filter((p) => !p.optionalParam || params[p.optionalParam] !== undefined);
  const target = candidates.at(-1) ?? route.paths[0];
  if (!target) return;
  const op = findOperation(lower, target.path);
  if (!op) throw new Error(`${method} ${target.path} answered, but the OpenAPI document has no such operation.`);
  const body: unknown = isJson(response) ? await response.clone().json() : undefined;
  const problems = answerProblems(op, response.status, body);
  if (problems.length > 0) fail(`${method} ${target.path}`, response.status, problems, body);
}

const templatePattern = (template: string, catchAll?: string) =>
  new RegExp(`^${template.replace(/[.]/g, "\\.").replace(/\{(\w+)\}/g, (_, name: string) => (name === catchAll ? ".+" : "[^/]+"))}$`);

/** Static segments before parameters, as Next.js matches: `/checkpoints/preview` is not `/checkpoints/{ref}`. */
const staticFirst = (a: Operation, b: Operation) => {
  const rank = (op: Operation) => op.path.split("/").map((s) => (s.startsWith("{") ? "1" : "0")).join("");
  return rank(a) < rank(b) ? -1 : rank(a) > rank(b) ? 1 : 0;
};

/**
 * Holds a JSON answer fetched from a served Cairn (its URL known, its method not) to the document:
 * it must be what one of the operations at that path documents for its status.
 */
export function checkFetchedAnswer(url: string, status: number, body: unknown): void {
  const pathname = new URL(url).pathname;
  if (!pathname.startsWith("/api/v1/") && pathname !== "/api/health") return;
  const [first] = [...apiOperations].sort(staticFirst).filter((op) => templatePattern(op.path, op.catchAll).test(pathname));
  if (!first) fail(`a request to ${pathname}`, status, ["no operation of the document has this path"], body);
  const atPath = apiOperations.filter((op) => op.path === first.path);
  const outcomes = atPath.map((op) => answerProblems(op, status, body));
  if (outcomes.some((problems) => problems.length === 0)) return;
  fail(`${atPath.map((op) => op.method.toUpperCase()).join("|")} ${first.path}`, status, outcomes.flat(), body);
}
