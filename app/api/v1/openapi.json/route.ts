import { openApiDocument } from "@/lib/api/openapi/document";

/**
 * The OpenAPI 3.1 document of every /api/v1 route, built once per process; no sign-in, so client
 * generators can fetch it. No wrapper: it reads neither the database nor a caller.
 */
export const GET = () => Response.json(openApiDocument(), { headers: { "cache-control": "public, max-age=300" } });
