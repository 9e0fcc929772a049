import "server-only";
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { persistentSecret } from "@/lib/config";

const VERSION = "v1";

/** The 256-bit key from `CAIRN_SECRET_KEY` (any string; hashed), generated into the data dir when unset. */
function key(): Buffer {
  return createHash("sha256").update(persistentSecret("CAIRN_SECRET_KEY", "secret-key")).digest();
}

/**
 * AES-256-GCM with a random 96-bit IV. `context` (the owning org and connection name) is bound as
 * associated data, so a ciphertext copied to another row does not decrypt.
 */
export function encryptSecret(plain: Record<string, string>, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key(), iv);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(JSON.stringify(plain), "utf8"), cipher.final()]);
  return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64")}`;
}

export function decryptSecret(sealed: string, context: string): Record<string, string> {
  const [version, payload = ""] = sealed.split(":", 2);
  if (version !== VERSION) throw new Error(`unknown secret format ${version}`);
  const raw = Buffer.from(payload, "base64");
  const decipher = createDecipheriv("aes-256-gcm", key(), raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(context));
  decipher.setAuthTag(raw.subarray(12, 28));
  const plain = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
  return JSON.parse(plain) as Record<string, string>;
}
