import { withAuth } from "@/lib/api/with-auth";
import { testConnection } from "@/lib/connections/service";

export const POST = withAuth<{ ref: string }>(
  async ({ params, db, caller }) => Response.json(await testConnection(db, { orgId: caller.orgId, ref: params.ref })),
  { permission: "write" },
);
