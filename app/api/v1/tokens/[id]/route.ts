import { withAuth } from "@/lib/api/with-auth";
import { revokeToken } from "@/lib/auth/accounts";
import { uuidParam } from "@/lib/api/schemas/common";

export const DELETE = withAuth<{ id: string }>(
  async ({ params, db, caller }) => {
    await revokeToken(db, { userId: caller.user.id, id: uuidParam(params.id, "token") });
    return new Response(null, { status: 204 });
  },
  { permission: "read" },
);
