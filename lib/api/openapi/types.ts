/** The parts of an OpenAPI 3.1 document Cairn writes (document.ts) and its reference page reads. Browser-safe. */

/** A JSON Schema 2020-12 object, as zod's `toJSONSchema` writes it. */
export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  prefixItems?: JsonSchema[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  propertyNames?: JsonSchema;
  [keyword: string]: unknown;
};

export type OpenApiParameter = { name: string; in: "path" | "query" | "header"; required: boolean; description?: string; schema: JsonSchema };

export type OpenApiMedia = { schema?: JsonSchema; description?: string };

export type OpenApiResponse = {
  description: string;
  content?: Record<string, OpenApiMedia>;
  headers?: Record<string, { description: string; schema: JsonSchema }>;
};

/** How a caller authenticates and what role it needs: Cairn's own extension, for people reading the reference. */
export type OpenApiAccess = { kind: "public" | "user" | "agent"; permission?: "read" | "write" | "admin"; basic?: boolean; jobs?: boolean };

export type OpenApiOperation = {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  security: Record<string, string[]>[];
  parameters?: OpenApiParameter[];
  requestBody?: { required: boolean; description?: string; content: Record<string, OpenApiMedia> };
  responses: Record<string, OpenApiResponse | { $ref: string }>;
  "x-cairn-access": OpenApiAccess;
  "x-internal"?: boolean;
};

export type OpenApiDocument = {
  openapi: "3.1.0";
  jsonSchemaDialect: string;
  info: { title: string; version: string; description: string };
  servers: { url: string; description: string }[];
  tags: { name: string; description: string }[];
  paths: Record<string, Record<string, OpenApiOperation>>;
  webhooks: Record<string, { post: { summary: string; description: string; requestBody: { required: true; content: Record<string, OpenApiMedia> }; responses: Record<string, { description: string }> } }>;
  components: {
    schemas: Record<string, JsonSchema>;
    responses: Record<string, OpenApiResponse>;
    securitySchemes: Record<string, Record<string, string>>;
  };
};
