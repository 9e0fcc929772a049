import { parseJson, parseQuery } from "@/lib/api/parse";
import { createJobBody, listJobsQuery } from "@/lib/api/schemas/jobs";
import { withAuth } from "@/lib/api/with-auth";
import { createJob, listOrgJobs } from "@/lib/jobs/service";

export const GET = withAuth(
  async ({ request, db, caller }) => {
    const query = parseQuery(request, listJobsQuery);
    return Response.json(await listOrgJobs(db, { orgId: caller.orgId }, query));
  },
  { permission: "read" },
);

export const POST = withAuth(
  async ({ request, db, caller }) => {
    const body = await parseJson(request, createJobBody);
    return Response.json(await createJob(db, caller, body), { status: 201 });
  },
  { permission: "write" },
);
