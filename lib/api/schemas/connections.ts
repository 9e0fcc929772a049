import { z } from "zod";
import { nameProblem } from "@/lib/checkpoints/naming";
import { connectionSpecs, providers, type ConnectionOf, type Provider } from "@/lib/sources/specs";
import { limitParam, pageOf } from "./common";

/** Connection providers: each declared, with its schemas, by the spec of the source type that brings it. */
export { providers, type Provider };

const connectionName = z.string().superRefine((value, ctx) => {
  const problem = nameProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

const byProvider = <K extends "config" | "secret">(key: K) =>
  Object.fromEntries(connectionSpecs.map((spec) => [spec.provider, spec[key]])) as { [P in Provider]: ConnectionOf<P>[K] };

/** Non-secret settings per provider; stored as they are and returned by the API. */
export const providerConfig = byProvider("config");

/** Secrets per provider; encrypted at rest and never returned. */
export const providerSecret = byProvider("secret");

export type ProviderConfig<P extends Provider> = z.infer<(typeof providerConfig)[P]>;
export type ProviderSecret<P extends Provider> = z.infer<(typeof providerSecret)[P]>;

export const createConnectionBody = z
  .object({
    name: connectionName,
    provider: z.enum(providers, { message: `provider must be one of ${providers.join(", ")}` }),
    config: z.record(z.string(), z.unknown()).default({}),
    secret: z.record(z.string(), z.unknown()).default({}),
  })
  .superRefine((body, ctx) => {
    const config = providerConfig[body.provider].safeParse(body.config);
    if (!config.success) for (const issue of config.error.issues) ctx.addIssue({ ...issue, path: ["config", ...issue.path] });
    const secret = providerSecret[body.provider].safeParse(body.secret);
    if (!secret.success) for (const issue of secret.error.issues) ctx.addIssue({ ...issue, path: ["secret", ...issue.path] });
  });
export type CreateConnectionBody = z.infer<typeof createConnectionBody>;

export const listConnectionsQuery = z.object({ provider: z.enum(providers).optional(), limit: limitParam, cursor: z.string().optional() });

export const connectionResponse = z.object({
  id: z.string(),
  name: z.string(),
  provider: z.enum(providers),
  config: z.record(z.string(), z.unknown()),
  secretFields: z.array(z.string()),
  createdAt: z.string(),
});
export type ConnectionResponse = z.infer<typeof connectionResponse>;

export const connectionListResponse = pageOf(connectionResponse);
export type ConnectionList = z.infer<typeof connectionListResponse>;

/** `POST …/test`: whether the connection reaches its storage, and what it said. */
export const connectionTestResponse = z.object({ ok: z.boolean(), message: z.string() });
export type ConnectionTestResponse = z.infer<typeof connectionTestResponse>;
