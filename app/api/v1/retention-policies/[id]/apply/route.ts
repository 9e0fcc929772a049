import { withAuth } from "@/lib/api/with-auth";
import { applyPolicyNow } from "@/lib/retention/service";

type Params = { id: string };

/** Applies the policy now rather than at the next capture or hourly pass. */
export const POST = withAuth<Params>(async ({ params, db, caller }) => Response.json(await applyPolicyNow(db, { orgId: caller.orgId, id: params.id })), {
  permission: "admin",
});
