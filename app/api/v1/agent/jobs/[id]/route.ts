import { withAgent } from "@/lib/api/with-agent";
import { agentSpec } from "@/lib/jobs/agent-service";

/** The job as its agent needs it: command, variables, input manifests, settings. */
export const GET = withAgent(async ({ db, job }) => Response.json(await agentSpec(db, job)));
