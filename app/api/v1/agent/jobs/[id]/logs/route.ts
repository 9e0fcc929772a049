import { parseJson } from "@/lib/api/parse";
import { agentLogsBody } from "@/lib/api/schemas/agent";
import { withAgent } from "@/lib/api/with-agent";
import { agentLogs } from "@/lib/jobs/agent-service";

export const POST = withAgent(async ({ request, db, job }) => Response.json(await agentLogs(db, job, await parseJson(request, agentLogsBody))));
