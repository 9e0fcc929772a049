import { parseQuery } from "@/lib/api/parse";
import { lineageQuery } from "@/lib/api/schemas/lineage";
import { withAuth } from "@/lib/api/with-auth";
import { checkpointLineage } from "@/lib/checkpoints/lineage";

/** The jobs and checkpoints around this one, `depth` steps out (lib/checkpoints/lineage.ts). */
export const GET = withAuth<{ ref: string }>(
  async ({ request, params, db, caller }) => {
    const { depth } = parseQuery(request, lineageQuery);
    return Response.json(await checkpointLineage(db, { orgId: caller.orgId, ref: params.ref, depth }));
  },
  { permission: "read" },
);
