import { parseQuery } from "@/lib/api/parse";
import { listWebhookDeliveriesQuery } from "@/lib/api/schemas/webhooks";
import { withAuth } from "@/lib/api/with-auth";
import { deliveriesOf } from "@/lib/webhooks/service";

type Params = { id: string };

export const GET = withAuth<Params>(
  async ({ request, params, db, caller }) => {
    const query = parseQuery(request, listWebhookDeliveriesQuery);
    return Response.json(await deliveriesOf(db, { orgId: caller.orgId, webhookId: params.id }, query));
  },
  { permission: "read" },
);
