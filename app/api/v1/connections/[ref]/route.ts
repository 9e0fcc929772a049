import { withAuth } from "@/lib/api/with-auth";
import { deleteConnection, presentConnection, resolveConnectionRow } from "@/lib/connections/service";

type Params = { ref: string };

export const GET = withAuth<Params>(
  async ({ params, db, caller }) => Response.json(presentConnection(await resolveConnectionRow(db, { orgId: caller.orgId, ref: params.ref }))),
  { permission: "read" },
);

export const DELETE = withAuth<Params>(
  async ({ params, db, caller }) => {
    await deleteConnection(db, { orgId: caller.orgId, ref: params.ref });
    return new Response(null, { status: 204 });
  },
  { permission: "write" },
);
