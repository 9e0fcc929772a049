import { createHash, randomBytes } from "node:crypto";

const TOKEN_PREFIX = "cairn_";
/** Job-scoped tokens, minted for a job's agent; they open only that job (see `lib/jobs/job-access.ts`). */
export const JOB_TOKEN_PREFIX = "cairn_job_";

/** A new API token; only its SHA-256 is stored, so a database leak reveals no usable token. */
export function generateToken(): { token: string; tokenHash: string; prefix: string } {
  const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
  return { token, tokenHash: hashToken(token), prefix: token.slice(0, TOKEN_PREFIX.length + 6) };
}

/** A job's agent token; like API tokens, only its SHA-256 is stored. */
export function generateJobToken(): { token: string; tokenHash: string } {
  const token = JOB_TOKEN_PREFIX + randomBytes(32).toString("base64url");
  return { token, tokenHash: hashToken(token) };
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
