import { parseJson } from "@/lib/api/parse";
import { agentOpenCaptureBody } from "@/lib/api/schemas/agent";
import { withAgent } from "@/lib/api/with-agent";
import { openCapture } from "@/lib/jobs/captures";

export const POST = withAgent(async ({ request, db, job }) => Response.json(await openCapture(db, job, await parseJson(request, agentOpenCaptureBody))));
