import { withAuth } from "@/lib/api/with-auth";
import { compareCheckpoints } from "@/lib/model-facts/compare";

export const GET = withAuth<{ ref: string; other: string }>(
  async ({ params, db, caller }) => Response.json(await compareCheckpoints(db, { orgId: caller.orgId, a: params.ref, b: params.other })),
  { permission: "read" },
);
