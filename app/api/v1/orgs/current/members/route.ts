import { parseJson } from "@/lib/api/parse";
import { addMemberBody } from "@/lib/api/schemas/accounts";
import { withAuth } from "@/lib/api/with-auth";
import { addMember, membersOf } from "@/lib/auth/accounts";

export const GET = withAuth(
  async ({ db, caller }) => Response.json({ items: await membersOf(db, { orgId: caller.orgId }) }),
  { permission: "read" },
);

export const POST = withAuth(
  async ({ request, db, caller }) => {
    const body = await parseJson(request, addMemberBody);
    return Response.json(await addMember(db, { orgId: caller.orgId, actorRole: caller.role }, body), { status: 201 });
  },
  { permission: "admin" },
);
