import { z } from "zod";
import type { Permission } from "@/lib/auth/permissions";

/**
 * The registry the OpenAPI document is built from: each area of the API (one file beside this one)
 * describes its operations with the zod schemas its routes parse with and answer in. The
 * document (document.ts), the coverage test and the integration tests' answer check read only this.
 */

export const httpMethods = ["get", "put", "post", "patch", "delete", "head", "options"] as const;
export type HttpMethod = (typeof httpMethods)[number];

/**
 * Who may call an operation, as its route's wrapper decides: `public` needs nobody; `user` a session
 * or an API token with the role `permission` names (`basic`: also HTTP Basic email:password;
 * `jobs`: also a job's token, for what that job attaches); `agent` only the job's own token.
 */
export type Access =
  | { kind: "public" }
  | { kind: "user"; permission: Permission; basic?: boolean; jobs?: boolean }
  | { kind: "agent" };

/** A request body: JSON parsed with a named schema, or raw bytes of a content type. */
export type RequestBody = { schema: z.ZodType; description?: string } | { contentType: string; description: string };

/**
 * One answer of an operation. `schema`: a JSON body, a schema named with `responseComponent`.
 * `content`: other bodies, content type → what they hold (file bytes, archives, YAML). Neither: no body.
 */
export type Answer = { description: string; schema?: z.ZodType; content?: Record<string, string>; headers?: Record<string, string> };

export type Operation = {
  /** The operationId: camelCase, unique; generated clients name their methods after it. */
  id: string;
  method: HttpMethod;
  /** The full path, `{name}` for each parameter: `/api/v1/checkpoints/{ref}`. */
  path: string;
  summary: string;
  description?: string;
  access: Access;
  /** Each path parameter and what it names. */
  params?: Record<string, string>;
  /** The one parameter that takes the rest of the path, slashes included (a file's path). */
  catchAll?: string;
  /** Headers the operation reads, name → meaning (tus, Range). */
  headers?: Record<string, string>;
  query?: z.ZodObject;
  body?: RequestBody;
  /** Success answers by status; the error envelope for the statuses below is added by the document. */
  responses: Record<number, Answer>;
  /**
   * Error statuses beyond the ones its shape implies: 401/403/429 for a caller, 404 for a path
   * parameter, 400 for a query or body, 422 for a JSON body, and 500 always.
   */
  errors?: number[];
};

export type Area = { tag: string; description: string; operations: Operation[] };

/** Named schemas, shared through `components.schemas`: answers as they are sent (`output`), bodies as they are accepted (`input`). */
export const responseComponents = z.registry<{ id: string }>();
export const bodyComponents = z.registry<{ id: string }>();

function name<S extends z.ZodType>(registry: typeof responseComponents, id: string, schema: S): S {
  const existing = registry.get(schema)?.id;
  if (existing === id) return schema;
  if (existing) throw new Error(`OpenAPI: one schema cannot be both ${existing} and ${id}`);
  if (registry._idmap.has(id)) throw new Error(`OpenAPI: two schemas are named ${id}`);
  registry.add(schema, { id });
  return schema;
}

/** Names a schema of answers in `components.schemas`; it is a `$ref` wherever it appears. */
export const responseComponent = <S extends z.ZodType>(id: string, schema: S): S => name(responseComponents, id, schema);

/** Names a request body schema in `components.schemas`. */
export const bodyComponent = <S extends z.ZodType>(id: string, schema: S): S => name(bodyComponents, id, schema);

/** A JSON answer. */
export const json = (description: string, schema: z.ZodType, headers?: Record<string, string>): Answer => ({ description, schema, headers });

/** An answer without a body. */
export const empty = (description: string, headers?: Record<string, string>): Answer => ({ description, headers });

/** Statuses every operation of this shape can answer with the error envelope, and its own. */
export function errorStatuses(op: Operation): number[] {
  const statuses = new Set<number>(op.errors ?? []);
  if (op.access.kind !== "public") [401, 403, 429].forEach((s) => statuses.add(s));
  if (op.params && Object.keys(op.params).length > 0) statuses.add(404);
  if (op.query || op.body) statuses.add(400);
  if (op.body && "schema" in op.body) statuses.add(422);
  statuses.add(500);
  return [...statuses].sort((a, b) => a - b);
}
