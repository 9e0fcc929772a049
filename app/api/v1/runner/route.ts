import { withAuth } from "@/lib/api/with-auth";
import { runnerInfo } from "@/lib/jobs/service";

/** The deployment's job runner and the job fields it honours (the launch form shows those). */
export const GET = withAuth(async () => Response.json(runnerInfo()), { permission: "read" });
