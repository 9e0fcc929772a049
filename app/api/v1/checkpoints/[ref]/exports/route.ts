import { parseQuery } from "@/lib/api/parse";
import { listExportsQuery } from "@/lib/api/schemas/exports";
import { withAuth } from "@/lib/api/with-auth";
import { checkpointExports } from "@/lib/export/service";

export const GET = withAuth<{ ref: string }>(
  async ({ request, params, db, caller }) => {
    const { limit } = parseQuery(request, listExportsQuery);
    return Response.json(await checkpointExports(db, { orgId: caller.orgId, ref: params.ref, limit }));
  },
  { permission: "read" },
);
