import { parseQuery } from "@/lib/api/parse";
import { diffQuery } from "@/lib/api/schemas/checkpoints";
import { withAuth } from "@/lib/api/with-auth";
import { compareCheckpoints } from "@/lib/model-facts/compare";

export const GET = withAuth<{ ref: string; other: string }>(
  async ({ request, params, db, caller }) => {
    const { wait } = parseQuery(request, diffQuery);
    return Response.json(await compareCheckpoints(db, { orgId: caller.orgId, a: params.ref, b: params.other, waitMs: wait * 1000 }));
  },
  { permission: "read" },
);
