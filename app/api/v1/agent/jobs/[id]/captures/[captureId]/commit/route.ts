import { parseJson } from "@/lib/api/parse";
import { agentCommitCaptureBody } from "@/lib/api/schemas/agent";
import { withAgent } from "@/lib/api/with-agent";
import { commitCapture } from "@/lib/jobs/captures";

type Params = { id: string; captureId: string };

export const POST = withAgent<Params>(async ({ request, params, db, job }) =>
  Response.json(await commitCapture(db, job, params.captureId, await parseJson(request, agentCommitCaptureBody))),
);
