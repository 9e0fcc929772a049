import { parseJson } from "@/lib/api/parse";
import { createWebhookBody } from "@/lib/api/schemas/webhooks";
import { withAuth } from "@/lib/api/with-auth";
import { createWebhook, webhooksOf } from "@/lib/webhooks/service";

export const GET = withAuth(async ({ db, caller }) => Response.json(await webhooksOf(db, { orgId: caller.orgId })), { permission: "read" });

// A webhook sends the org's checkpoint and job events to an outside address: owners and admins set them.
export const POST = withAuth(
  async ({ request, db, caller }) => {
    const body = await parseJson(request, createWebhookBody);
    return Response.json(await createWebhook(db, caller, body), { status: 201 });
  },
  { permission: "admin" },
);
