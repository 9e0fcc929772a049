import { withAuth } from "@/lib/api/with-auth";
import { getJob } from "@/lib/jobs/service";

type Params = { ref: string };

export const GET = withAuth<Params>(
  async ({ params, db, caller }) => Response.json(await getJob(db, { orgId: caller.orgId, ref: params.ref })),
  { permission: "read" },
);
