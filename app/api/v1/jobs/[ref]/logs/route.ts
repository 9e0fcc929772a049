import { parseQuery } from "@/lib/api/parse";
import { jobLogsQuery } from "@/lib/api/schemas/jobs";
import { withAuth } from "@/lib/api/with-auth";
import { jobLogs } from "@/lib/jobs/service";

type Params = { ref: string };

export const GET = withAuth<Params>(
  async ({ request, params, db, caller }) => {
    const query = parseQuery(request, jobLogsQuery);
    return Response.json(await jobLogs(db, { orgId: caller.orgId, ref: params.ref }, query));
  },
  { permission: "read" },
);
