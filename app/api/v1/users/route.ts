import { parseJson } from "@/lib/api/parse";
import { createUserBody } from "@/lib/api/schemas/accounts";
import { withPublic } from "@/lib/api/with-auth";
import { signUp } from "@/lib/auth/accounts";

export const POST = withPublic(async ({ request, db }) => {
  const body = await parseJson(request, createUserBody);
  return Response.json(await signUp(db, body), { status: 201 });
});
