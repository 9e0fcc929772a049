import { z } from "zod";
import { healthResponse } from "@/lib/api/schemas/health";
import { json, responseComponent, type Area } from "./registry";

/** What `GET /api/v1/openapi.json` answers: an OpenAPI 3.1 document, described by its head only. */
export const openApiDocumentSchema = z.looseObject({
  openapi: z.literal("3.1.0"),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.record(z.string(), z.unknown())),
  components: z.record(z.string(), z.unknown()),
});

export const serviceArea: Area = {
  tag: "Service",
  description: "The server itself: whether it is up, and this document.",
  operations: [
    {
      id: "getHealth",
      method: "get",
      path: "/api/health",
      summary: "Health",
      description: "Answers once the database does; load balancers and the e2e server wait on it.",
      access: { kind: "public" },
      responses: { 200: json("Up, and on which database and blob store.", responseComponent("Health", healthResponse)) },
    },
    {
      id: "getOpenApiDocument",
      method: "get",
      path: "/api/v1/openapi.json",
      summary: "This OpenAPI document",
      description: "Every `/api/v1` route, built from the schemas the routes parse with. Feed it to a client generator.",
      access: { kind: "public" },
      responses: { 200: json("The OpenAPI 3.1 document.", responseComponent("OpenApiDocument", openApiDocumentSchema)) },
    },
  ],
};
