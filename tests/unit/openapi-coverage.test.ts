import { describe, expect, it } from "vitest";
import * as openApiRoute from "@/app/api/v1/openapi.json/route";
import { openApiDocument } from "@/lib/api/openapi/document";
import type { HttpMethod } from "@/lib/api/openapi/registry";
import { documentedRouteFiles, exportedMethods, routePaths } from "../helpers/openapi";

const doc = openApiDocument();

async function routes() {
  const found: { file: string; paths: string[]; methods: HttpMethod[] }[] = [];
  for (const file of documentedRouteFiles()) {
    const routeModule = (await import(file)) as Record<string, unknown>;
    found.push({ file, paths: routePaths(file).map((p) => p.path), methods: exportedMethods(routeModule) });
  }
  return found;
}

/** Every `$ref` in the document, with where it sits. */
function refs(value: unknown, at: string, found: [string, string][] = []): [string, string][] {
  if (Array.isArray(value)) value.forEach((item, i) => refs(item, `${at}/${i}`, found));
  else if (value && typeof value === "object") {
    for (const [key, child] of Object.entries(value)) {
      if (key === "$ref" && typeof child === "string") found.push([at, child]);
      else refs(child, `${at}/${key}`, found);
    }
  }
  return found;
}

function resolvePointer(pointer: string): unknown {
  if (!pointer.startsWith("#/")) return undefined;
  let node: unknown = doc;
  for (const raw of pointer.slice(2).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    node = node && typeof node === "object" ? (node as Record<string, unknown>)[key] : undefined;
  }
  return node;
}

describe("the OpenAPI document", () => {
  it("names every method of every route under app/api/v1", async () => {
    const missing: string[] = [];
    for (const route of await routes()) {
      for (const method of route.methods) {
        if (!route.paths.some((path) => doc.paths[path]?.[method])) missing.push(`${method.toUpperCase()} ${route.paths.join(" or ")}`);
      }
    }
    expect(missing, "routes without an operation in lib/api/openapi").toEqual([]);
  });

  it("names no route that does not exist", async () => {
    const served = await routes();
    const phantom: string[] = [];
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const method of Object.keys(operations) as HttpMethod[]) {
        if (!served.some((route) => route.paths.includes(path) && route.methods.includes(method))) phantom.push(`${method.toUpperCase()} ${path}`);
      }
    }
    expect(phantom, "operations with no route file exporting the method").toEqual([]);
  });

  it("is OpenAPI 3.1 whose every $ref resolves", () => {
    expect(doc.openapi).toBe("3.1.0");
    const all = refs(doc, "#");
    expect(all.length).toBeGreaterThan(50);
    const dangling = all.filter(([, target]) => resolvePointer(target) === undefined).map(([at, target]) => `${at} → ${target}`);
    expect(dangling).toEqual([]);
  });

  it("gives each operation a unique id, a declared tag, a security rule and its path's parameters", () => {
    const ids = new Set<string>();
    const tags = new Set(doc.tags.map((t) => t.name));
    for (const [path, operations] of Object.entries(doc.paths)) {
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      for (const [method, op] of Object.entries(operations)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(ids.has(op.operationId), `${where}: operationId ${op.operationId} is taken`).toBe(false);
        ids.add(op.operationId);
        expect(op.tags.every((t) => tags.has(t)), `${where}: undeclared tag`).toBe(true);
        expect(Array.isArray(op.security), `${where}: security`).toBe(true);
        const declared = (op.parameters ?? []).filter((p) => p.in === "path").map((p) => p.name).sort();
        expect(declared, `${where}: path parameters`).toEqual(inPath);
        expect(Object.keys(op.responses).some((status) => status.startsWith("2") || status === "304"), `${where}: a success answer`).toBe(true);
      }
    }
  });

  it("is what GET /api/v1/openapi.json serves, without sign-in", async () => {
    const response = openApiRoute.GET();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await response.json()).toEqual(JSON.parse(JSON.stringify(doc)));
  });
});
