import { withAgent } from "@/lib/api/with-agent";
import { agentHeartbeat } from "@/lib/jobs/agent-service";

export const POST = withAgent(async ({ db, job }) => Response.json(await agentHeartbeat(db, job)));
