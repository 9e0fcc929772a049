import { parseJson } from "@/lib/api/parse";
import { agentOfferFileBody } from "@/lib/api/schemas/agent";
import { withAgent } from "@/lib/api/with-agent";
import { offerCaptureFile } from "@/lib/jobs/captures";

type Params = { id: string; captureId: string };

export const POST = withAgent<Params>(async ({ request, params, db, job }) =>
  Response.json(await offerCaptureFile(db, job, params.captureId, await parseJson(request, agentOfferFileBody))),
);
