import { withAuth } from "@/lib/api/with-auth";
import { describeCaller } from "@/lib/auth/me";

export const GET = withAuth(async ({ db, caller }) => Response.json(await describeCaller(db, caller)), {
  permission: "read",
});
