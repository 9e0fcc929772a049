import { z } from "zod";

/** `GET /api/health`: the database answered; which database and blob store this server runs on. */
export const healthResponse = z.object({
  ok: z.literal(true),
  db: z.enum(["pglite", "postgres"]),
  storage: z.enum(["fs", "s3"]),
});
export type HealthResponse = z.infer<typeof healthResponse>;
