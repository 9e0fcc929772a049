import { withAuth } from "@/lib/api/with-auth";
import { stopJob } from "@/lib/jobs/service";

type Params = { ref: string };

export const POST = withAuth<Params>(
  async ({ params, db, caller }) => Response.json(await stopJob(db, caller, params.ref)),
  { permission: "write" },
);
