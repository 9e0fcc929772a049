import { z } from "zod";
import { errorEnvelope } from "@/lib/api/schemas/common";
import { webhookEvents } from "@/lib/webhooks/kinds";
import { INTERNAL_TAG, apiAreas, apiOperations } from "./operations";
import { bodyComponents, errorStatuses, responseComponent, responseComponents, type Access, type Operation } from "./registry";
import type { JsonSchema, OpenApiDocument, OpenApiOperation, OpenApiParameter, OpenApiResponse } from "./types";
import { webhookDeliveryBody } from "./webhooks";

const TARGET = "draft-2020-12";
const ref = (id: string) => `#/components/schemas/${id}`;
const errorSchema = responseComponent("Error", errorEnvelope);

/** The error answers, one component per status, all the envelope. */
const errorAnswers: Record<number, [string, string]> = {
  400: ["BadRequest", "`invalid_request`: malformed JSON or a bad query parameter."],
  401: ["Unauthorized", "`unauthorized`: no valid session or token."],
  403: ["Forbidden", "`forbidden`: signed in, but your role (or a job token's scope) does not allow this."],
  404: ["NotFound", "`not_found`: no such resource in your organization (another organization's answers the same)."],
  409: ["Conflict", "`conflict`: a name is taken, the resource is in use, or it is in the wrong state."],
  410: ["Gone", "`not_found`: the upload expired or was terminated (tus)."],
  412: ["PreconditionFailed", "`invalid_request`: a tus version this server does not speak."],
  413: ["PayloadTooLarge", "`payload_too_large` or `quota_exceeded`: over a size limit or the organization's quota."],
  415: ["UnsupportedMediaType", "`invalid_request`: a tus PATCH without `application/offset+octet-stream`."],
  416: ["RangeNotSatisfiable", "`invalid_request`: the range lies outside the file; `Content-Range` gives its size."],
  422: ["ValidationFailed", "`validation_failed`: a field breaks a rule; `details.fields` names each with what it broke."],
  429: ["RateLimited", "`rate_limited`: too many attempts; `Retry-After` says how many seconds to wait."],
  460: ["ChecksumMismatch", "`conflict`: the bytes do not match the checksum sent (tus)."],
  500: ["Internal", "`internal`: logged with the request id the message quotes; no internals leave the server."],
};

/**
 * Answers are sent with every field their schema names; objects are open (additional fields may be
 * added to the API), unless the schema is strict.
 */
function convert(registry: typeof responseComponents, io: "input" | "output"): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(registry, {
    target: TARGET,
    io,
    uri: ref,
    override: ({ zodSchema, jsonSchema }) => {
      const def = zodSchema._zod.def;
      if (io === "output" && def.type === "object" && !("catchall" in def && def.catchall)) delete jsonSchema.additionalProperties;
    },
  });
  if ("__shared" in schemas) throw new Error("OpenAPI: a schema refers to itself; name the recursive part.");
  return Object.fromEntries(
    Object.entries(schemas).map(([id, schema]) => {
      const { $schema, $id, ...rest } = schema as JsonSchema;
      void $schema;
      void $id;
      return [id, rest as JsonSchema];
    }),
  );
}

function componentRef(registry: typeof responseComponents, schema: z.ZodType, what: string): JsonSchema {
  const id = registry.get(schema)?.id;
  if (!id) throw new Error(`OpenAPI: ${what} has no component name; name it with ${registry === bodyComponents ? "bodyComponent" : "responseComponent"}.`);
  return { $ref: ref(id) };
}

function parameters(op: Operation): OpenApiParameter[] {
  const found: OpenApiParameter[] = Object.entries(op.params ?? {}).map(([name, description]) => ({
    name,
    in: "path",
    required: true,
    description: name === op.catchAll ? `${description} Spans the rest of the path.` : description,
    schema: { type: "string" },
  }));
  if (op.query) {
    const query = z.toJSONSchema(op.query, { target: TARGET, io: "input" }) as JsonSchema;
    for (const [name, schema] of Object.entries(query.properties ?? {})) {
      const { description, ...rest } = schema;
      found.push({ name, in: "query", required: query.required?.includes(name) ?? false, ...(description ? { description } : {}), schema: rest });
    }
  }
  for (const [name, description] of Object.entries(op.headers ?? {})) found.push({ name, in: "header", required: false, description, schema: { type: "string" } });
  return found;
}

function security(access: Access): Record<string, string[]>[] {
  if (access.kind === "public") return [];
  if (access.kind === "agent") return [{ bearerToken: [] }];
  return [{ bearerToken: [] }, { sessionCookie: [] }, ...(access.basic ? [{ basicAuth: [] }] : [])];
}

function responses(op: Operation): OpenApiOperation["responses"] {
  const answers: OpenApiOperation["responses"] = {};
  for (const [status, answer] of Object.entries(op.responses)) {
    const content: Record<string, { schema?: JsonSchema; description?: string }> = {};
    if (answer.schema) content["application/json"] = { schema: componentRef(responseComponents, answer.schema, `${op.id} ${status}`) };
    for (const [type, description] of Object.entries(answer.content ?? {})) content[type] = { description, schema: { type: "string", contentMediaType: type } };
    const headers = Object.fromEntries(Object.entries(answer.headers ?? {}).map(([name, description]) => [name, { description, schema: { type: "string" } }]));
    answers[status] = {
      description: answer.description,
      ...(Object.keys(content).length > 0 ? { content } : {}),
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
    };
  }
  for (const status of errorStatuses(op)) {
    const name = errorAnswers[status]?.[0];
    if (!name) throw new Error(`OpenAPI: ${op.id} names error status ${status}, which has no error answer.`);
    answers[status] = { $ref: `#/components/responses/${name}` };
  }
  return answers;
}

function operation(op: Operation, tag: string): OpenApiOperation {
  const body = op.body;
  return {
    operationId: op.id,
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    tags: [tag],
    security: security(op.access),
    ...(parameters(op).length > 0 ? { parameters: parameters(op) } : {}),
    ...(body
      ? {
          requestBody: {
            required: true,
            ...(body.description ? { description: body.description } : {}),
            content:
              "schema" in body
                ? { "application/json": { schema: componentRef(bodyComponents, body.schema, `${op.id} body`) } }
                : { [body.contentType]: { schema: { type: "string", contentMediaType: body.contentType } } },
          },
        }
      : {}),
    responses: responses(op),
    "x-cairn-access": op.access,
    ...(tag === INTERNAL_TAG ? { "x-internal": true } : {}),
  };
}

function build(): OpenApiDocument {
  const answerSchemas = convert(responseComponents, "output");
  const bodySchemas = convert(bodyComponents, "input");
  for (const id of Object.keys(bodySchemas)) if (id in answerSchemas) throw new Error(`OpenAPI: ${id} names both a body and an answer.`);
  const paths: OpenApiDocument["paths"] = {};
  for (const area of apiAreas) {
    for (const op of area.operations) (paths[op.path] ??= {})[op.method] = operation(op, area.tag);
  }
  const used = new Set(apiOperations.flatMap(errorStatuses));
  const errorResponses: Record<string, OpenApiResponse> = {};
  for (const [status, [name, description]] of Object.entries(errorAnswers)) {
    if (used.has(Number(status))) errorResponses[name] = { description, content: { "application/json": { schema: componentRef(responseComponents, errorSchema, "Error") } } };
  }
  const payload = componentRef(responseComponents, webhookDeliveryBody, "WebhookPayload");
  return {
    openapi: "3.1.0",
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    info: {
      title: "Cairn API",
      version: "1",
      description:
        "The HTTP API of Cairn, the console for ML checkpoints: what its pages, its CLI and your scripts use. JSON in and out; sizes are integers in bytes, times ISO 8601 UTC. Every non-2xx answer is the error envelope. Answers may gain fields; ignore the ones you do not know. Lists take `?limit=` (1–200) and `?cursor=`.",
    },
    servers: [{ url: "/", description: "This Cairn server." }],
    tags: apiAreas.map((area) => ({ name: area.tag, description: area.description })),
    paths,
    webhooks: Object.fromEntries(
      webhookEvents.map((event) => [
        event,
        {
          post: {
            summary: `${event} delivery`,
            description: "Sent to each webhook subscribed to the event. Verify `X-Cairn-Signature` over the raw body before trusting it; answer 2xx within the timeout.",
            requestBody: { required: true as const, content: { "application/json": { schema: payload } } },
            responses: { "200": { description: "Any 2xx ends the delivery; anything else is retried with backoff." } },
          },
        },
      ]),
    ),
    components: {
      schemas: { ...answerSchemas, ...bodySchemas },
      responses: errorResponses,
      securitySchemes: {
        bearerToken: { type: "http", scheme: "bearer", description: "An API token (`POST /api/v1/tokens`, the Tokens page), or inside a job its job-scoped token." },
        sessionCookie: { type: "apiKey", in: "cookie", name: "authjs.session-token", description: "The console's signed-in session (`__Secure-authjs.session-token` over HTTPS)." },
        basicAuth: { type: "http", scheme: "basic", description: "email:password, only to issue a token from a script." },
      },
    },
  };
}

let built: OpenApiDocument | undefined;

/** The OpenAPI 3.1 document of the API, built once per process from the registry. */
export function openApiDocument(): OpenApiDocument {
  built ??= build();
  return built;
}
