import { parseQuery } from "@/lib/api/parse";
import { listFilesQuery } from "@/lib/api/schemas/checkpoints";
import { withAuth } from "@/lib/api/with-auth";
import { checkpointFiles } from "@/lib/checkpoints/service";

export const GET = withAuth<{ ref: string }>(
  async ({ request, params, db, caller }) => {
    const { prefix } = parseQuery(request, listFilesQuery);
    return Response.json(await checkpointFiles(db, { orgId: caller.orgId, ref: params.ref, prefix }));
  },
  { permission: "read" },
);
