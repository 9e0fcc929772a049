import { z } from "zod";
import { nameProblem } from "@/lib/checkpoints/naming";
import { limitParam } from "./common";

export const providers = ["s3", "gcs", "azure", "huggingface", "git", "kaggle"] as const;
export type Provider = (typeof providers)[number];

const connectionName = z.string().superRefine((value, ctx) => {
  const problem = nameProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

const optionalText = z.string().trim().max(2048).optional();
const optionalUrl = z.url({ protocol: /^https?$/, error: "Enter a full URL beginning with http:// or https://" }).optional();
const required = (message: string) => z.string({ error: message }).min(1, message).max(65_536);

/** Non-secret settings per provider; stored as they are and returned by the API. */
export const providerConfig = {
  s3: z.object({ endpoint: optionalUrl, region: optionalText, forcePathStyle: z.boolean().optional() }),
  gcs: z.object({ projectId: optionalText, apiEndpoint: optionalUrl }),
  azure: z.object({ accountName: optionalText, endpoint: optionalUrl }),
  huggingface: z.object({ endpoint: optionalUrl }),
  git: z.object({ username: optionalText }),
  kaggle: z.object({ username: optionalText, baseUrl: optionalUrl }),
} satisfies Record<Provider, z.ZodType>;

/** Secrets per provider; encrypted at rest and never returned. */
export const providerSecret = {
  s3: z.object({ accessKeyId: required("Enter the access key id"), secretAccessKey: required("Enter the secret access key"), sessionToken: optionalText }),
  gcs: z.object({ credentialsJson: required("Paste the service account key JSON") }),
  azure: z.object({ accountKey: optionalText, sasToken: optionalText, connectionString: optionalText }),
  huggingface: z.object({ token: required("Enter a Hugging Face access token") }),
  git: z.object({ password: optionalText, sshPrivateKey: optionalText }),
  kaggle: z.object({ key: required("Enter the Kaggle API key") }),
} satisfies Record<Provider, z.ZodType>;

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
