import { withAuth } from "@/lib/api/with-auth";
import { redeliver } from "@/lib/webhooks/service";

type Params = { id: string; deliveryId: string };

/** Sends a finished delivery again, same id and body; `202` with the delivery, pending. */
export const POST = withAuth<Params>(
  async ({ params, db, caller }) =>
    Response.json(await redeliver(db, { orgId: caller.orgId, webhookId: params.id, deliveryId: params.deliveryId }), { status: 202 }),
  { permission: "admin" },
);
