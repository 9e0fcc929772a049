import { createHash, randomBytes } from "node:crypto";

const TOKEN_PREFIX = "cairn_";

/** A new API token; only its SHA-256 is stored, so a database leak reveals no usable token. */
export function generateToken(): { token: string; tokenHash: string; prefix: string } {
  const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
  return { token, tokenHash: hashToken(token), prefix: token.slice(0, TOKEN_PREFIX.length + 6) };
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
