import { withAuth } from "@/lib/api/with-auth";
import { getPolicy, removePolicy } from "@/lib/retention/service";

type Params = { id: string };

export const GET = withAuth<Params>(async ({ params, db, caller }) => Response.json(await getPolicy(db, { orgId: caller.orgId, id: params.id })), {
  permission: "read",
});

export const DELETE = withAuth<Params>(
  async ({ params, db, caller }) => {
    await removePolicy(db, caller, params.id);
    return new Response(null, { status: 204 });
  },
  { permission: "admin" },
);
