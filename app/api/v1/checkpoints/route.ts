import { parseJson, parseQuery } from "@/lib/api/parse";
import { createCheckpointBody, listCheckpointsQuery } from "@/lib/api/schemas/checkpoints";
import { withAuth } from "@/lib/api/with-auth";
import { createCheckpoint, listOrgCheckpoints } from "@/lib/checkpoints/service";

export const GET = withAuth(
  async ({ request, db, caller }) => {
    const query = parseQuery(request, listCheckpointsQuery);
    return Response.json(await listOrgCheckpoints(db, { orgId: caller.orgId }, query));
  },
  { permission: "read" },
);

export const POST = withAuth(
  async ({ request, db, caller }) => {
    const body = await parseJson(request, createCheckpointBody);
    return Response.json(await createCheckpoint(db, caller, body), { status: 201 });
  },
  { permission: "write" },
);
