import { withAuth } from "@/lib/api/with-auth";
import { previewPolicy } from "@/lib/retention/service";

type Params = { id: string };

export const POST = withAuth<Params>(async ({ params, db, caller }) => Response.json(await previewPolicy(db, { orgId: caller.orgId, id: params.id })), {
  permission: "read",
});
