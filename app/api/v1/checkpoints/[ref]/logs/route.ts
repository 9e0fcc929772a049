import { withAuth } from "@/lib/api/with-auth";
import { checkpointLogs } from "@/lib/checkpoints/service";

export const GET = withAuth<{ ref: string }>(
  async ({ params, db, caller }) => Response.json(await checkpointLogs(db, { orgId: caller.orgId, ref: params.ref })),
  { permission: "read" },
);
