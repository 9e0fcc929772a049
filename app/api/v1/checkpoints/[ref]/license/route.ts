import { withAuth } from "@/lib/api/with-auth";
import { acceptLicense, licenseState } from "@/lib/checkpoints/licenses";

export const GET = withAuth<{ ref: string }>(
  async ({ params, db, caller }) => Response.json(await licenseState(db, { orgId: caller.orgId, user: caller.user, ref: params.ref })),
  { permission: "read" },
);

export const POST = withAuth<{ ref: string }>(
  async ({ params, db, caller }) => Response.json(await acceptLicense(db, { orgId: caller.orgId, user: caller.user, ref: params.ref })),
  { permission: "read" },
);
