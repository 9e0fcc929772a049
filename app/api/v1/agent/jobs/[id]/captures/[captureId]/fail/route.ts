import { parseJson } from "@/lib/api/parse";
import { agentFailCaptureBody } from "@/lib/api/schemas/agent";
import { withAgent } from "@/lib/api/with-agent";
import { failCapture } from "@/lib/jobs/captures";

type Params = { id: string; captureId: string };

export const POST = withAgent<Params>(async ({ request, params, db, job }) => {
  const { message } = await parseJson(request, agentFailCaptureBody);
  return Response.json(await failCapture(db, job, params.captureId, message));
});
