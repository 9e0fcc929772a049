import { withAuth } from "@/lib/api/with-auth";
import { retryCaptures } from "@/lib/jobs/service";

type Params = { ref: string };

/** *Retry capture*: every failed capture of the job is tried again. */
export const POST = withAuth<Params>(
  async ({ params, db, caller }) => Response.json(await retryCaptures(db, caller, params.ref), { status: 202 }),
  { permission: "write" },
);
