import { withAuth } from "@/lib/api/with-auth";
import { commitCheckpoint } from "@/lib/checkpoints/commit";

export const POST = withAuth<{ ref: string }>(
  async ({ params, db, caller }) => Response.json(await commitCheckpoint(db, { orgId: caller.orgId, ref: params.ref })),
  { permission: "write" },
);
