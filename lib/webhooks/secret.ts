import "server-only";
import { randomBytes } from "node:crypto";
import { decryptSecret, encryptSecret } from "@/lib/connections/crypto";
import type { Webhook } from "@/lib/db/schema";

/** Bound into the ciphertext: a sealed secret copied onto another webhook or org does not open. */
const context = ({ orgId, id }: { orgId: string; id: string }) => `webhook:${orgId}:${id}`;

/** A new signing secret: 192 random bits, prefixed so it is recognisable where it is pasted. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString("base64url")}`;
}

export function sealWebhookSecret(secret: string, webhook: { orgId: string; id: string }): string {
  return encryptSecret({ secret }, context(webhook));
}

/** The webhook's signing secret, for the worker that signs its deliveries; never for an answer. */
export function openWebhookSecret(webhook: Pick<Webhook, "orgId" | "id" | "secretCiphertext">): string {
  const { secret } = decryptSecret(webhook.secretCiphertext, context(webhook));
  if (!secret) throw new Error(`webhook ${webhook.id} has no secret`);
  return secret;
}
