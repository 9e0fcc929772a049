import { parseJson } from "@/lib/api/parse";
import { agentStartedBody } from "@/lib/api/schemas/agent";
import { withAgent } from "@/lib/api/with-agent";
import { agentStarted } from "@/lib/jobs/agent-service";

export const POST = withAgent(async ({ request, db, job }) => {
  await agentStarted(db, job, await parseJson(request, agentStartedBody));
  return new Response(null, { status: 204 });
});
