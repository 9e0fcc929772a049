import "server-only";
import { generateJobToken } from "@/lib/auth/tokens";
import type { Db } from "@/lib/db/client";
import { updateJob } from "@/lib/db/queries/jobs";
import type { Job } from "@/lib/db/schema";

export const envContext = (orgId: string, jobId: string) => `job-env:${orgId}:${jobId}`;

/** How long a token lives before its job ends (its end expires it at once). */
const TOKEN_DAYS = 30;

/** A token for the job's agent; only its hash is stored, and it expires with the job. */
export async function mintAgentToken(db: Db, job: Job): Promise<string> {
  const { token, tokenHash } = generateJobToken();
  const minutes = job.resources.timeLimitMinutes ?? 0;
  const expiresAt = new Date(Date.now() + TOKEN_DAYS * 86_400_000 + minutes * 60_000);
  await updateJob(db, { id: job.id }, { agentTokenHash: tokenHash, agentTokenExpiresAt: expiresAt });
  return token;
}
