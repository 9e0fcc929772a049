import { parseJson } from "@/lib/api/parse";
import { createUserBody } from "@/lib/api/schemas/accounts";
import { withPublic } from "@/lib/api/with-auth";
import { signUp } from "@/lib/auth/accounts";
import { attemptSignUp, clientAddress } from "@/lib/auth/rate-limit";

export const POST = withPublic(async ({ request, db }) => {
  await attemptSignUp(db, { address: clientAddress(request) });
  const body = await parseJson(request, createUserBody);
  return Response.json(await signUp(db, body), { status: 201 });
});
