import type { Db } from "@/lib/db/client";
import type { Job } from "@/lib/db/schema";
import { agentJob } from "@/lib/jobs/agent-service";
import { withAuth, type HandlerArgs } from "./with-auth";

/**
 * The agent endpoints' wrapper: `withAuth` letting job tokens in, and the job resolved from the
 * path — only the token's own job answers; any other id is 404.
 */
export function withAgent<P extends { id: string }>(handler: (args: HandlerArgs<P> & { job: Job; db: Db }) => Promise<Response>) {
  return withAuth<P>(async (args) => handler({ ...args, job: await agentJob(args.db, args.caller, args.params.id) }), {
    permission: "read",
    allowJobs: true,
  });
}
