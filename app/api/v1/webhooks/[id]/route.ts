import { withAuth } from "@/lib/api/with-auth";
import { removeWebhook } from "@/lib/webhooks/service";

type Params = { id: string };

export const DELETE = withAuth<Params>(
  async ({ params, db, caller }) => {
    await removeWebhook(db, caller, params.id);
    return new Response(null, { status: 204 });
  },
  { permission: "admin" },
);
