import { parseQuery } from "@/lib/api/parse";
import { lineageQuery } from "@/lib/api/schemas/lineage";
import { withAuth } from "@/lib/api/with-auth";
import { jobLineage } from "@/lib/checkpoints/lineage";

/** The checkpoints and jobs around this job, `depth` steps out (lib/checkpoints/lineage.ts). */
export const GET = withAuth<{ ref: string }>(
  async ({ request, params, db, caller }) => {
    const { depth } = parseQuery(request, lineageQuery);
    return Response.json(await jobLineage(db, { orgId: caller.orgId, ref: params.ref, depth }));
  },
  { permission: "read" },
);
