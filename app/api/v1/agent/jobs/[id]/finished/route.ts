import { parseJson } from "@/lib/api/parse";
import { agentFinishedBody } from "@/lib/api/schemas/agent";
import { withAgent } from "@/lib/api/with-agent";
import { agentFinished } from "@/lib/jobs/agent-service";

export const POST = withAgent(async ({ request, db, job }) => {
  await agentFinished(db, job, await parseJson(request, agentFinishedBody));
  return new Response(null, { status: 204 });
});
