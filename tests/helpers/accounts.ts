import * as users from "@/app/api/v1/users/route";
import * as tokens from "@/app/api/v1/tokens/route";
import { call, json } from "./api";

export type TestUser = { id: string; email: string; orgId: string; token: string; password: string };

let counter = 0;

/** Signs a new user up over the API and gives them a token, as a script would. */
export async function signUpWithToken(prefix = "user"): Promise<TestUser> {
  counter += 1;
  const email = `${prefix}-${counter}-${Date.now()}@example.com`;
  const password = "correct horse battery";
  const created = await call(users.POST, "/api/v1/users", { method: "POST", body: { email, password } });
  if (created.status !== 201) throw new Error(`sign-up failed: ${created.status} ${await created.text()}`);
  const user = await json<{ id: string; orgId: string }>(created);
  const issued = await call(tokens.POST, "/api/v1/tokens", { method: "POST", basic: [email, password], body: { name: "tests" } });
  const { token } = await json<{ token: string }>(issued);
  return { id: user.id, email, orgId: user.orgId, token, password };
}
