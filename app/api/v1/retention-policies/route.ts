import { parseJson } from "@/lib/api/parse";
import { createRetentionPolicyBody } from "@/lib/api/schemas/retention";
import { withAuth } from "@/lib/api/with-auth";
import { createPolicy, listPolicies } from "@/lib/retention/service";

export const GET = withAuth(async ({ db, caller }) => Response.json(await listPolicies(db, { orgId: caller.orgId })), { permission: "read" });

// A policy deletes checkpoints on its own, every hour: owners and admins set them.
export const POST = withAuth(
  async ({ request, db, caller }) => {
    const body = await parseJson(request, createRetentionPolicyBody);
    return Response.json(await createPolicy(db, caller, body), { status: 201 });
  },
  { permission: "admin" },
);
