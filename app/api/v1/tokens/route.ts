import { parseJson } from "@/lib/api/parse";
import { createTokenBody } from "@/lib/api/schemas/accounts";
import { withAuth } from "@/lib/api/with-auth";
import { issueToken, tokensOf } from "@/lib/auth/accounts";

export const GET = withAuth(
  async ({ db, caller }) => Response.json({ items: await tokensOf(db, { userId: caller.user.id }) }),
  { permission: "read" },
);

export const POST = withAuth(
  async ({ request, db, caller }) => {
    const body = await parseJson(request, createTokenBody);
    return Response.json(await issueToken(db, { userId: caller.user.id, name: body.name }), { status: 201 });
  },
  { permission: "read", allowBasic: true },
);
