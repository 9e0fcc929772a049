import { test as base, expect, type APIRequestContext } from "@playwright/test";

export const E2E_USER = { email: "e2e-owner@example.com", password: "e2e password 123" };

/** Signs up over the API (409 means the account is already there) and signs in through Auth.js. */
export async function signUpAndSignIn(request: APIRequestContext, user = E2E_USER): Promise<void> {
  const created = await request.post("/api/v1/users", { data: user });
  if (created.status() !== 201 && created.status() !== 409) throw new Error(`sign-up failed: ${created.status()}`);
  const { csrfToken } = (await (await request.get("/api/auth/csrf")).json()) as { csrfToken: string };
  const signedIn = await request.post("/api/auth/callback/credentials", {
    form: { csrfToken, email: user.email, password: user.password, callbackUrl: "/checkpoints" },
    maxRedirects: 0,
  });
  if (signedIn.status() >= 400) throw new Error(`sign-in failed: ${signedIn.status()}`);
}

/** A Bearer token for seeding data over the API. */
export async function apiToken(request: APIRequestContext, user = E2E_USER): Promise<string> {
  const response = await request.post("/api/v1/tokens", {
    data: { name: `e2e-${Date.now()}` },
    headers: { authorization: `Basic ${Buffer.from(`${user.email}:${user.password}`).toString("base64")}` },
  });
  expect(response.status()).toBe(201);
  return ((await response.json()) as { token: string }).token;
}

export const uniqueName = (prefix: string) => `${prefix}-${Date.now().toString(36)}`;

export const test = base;
export { expect };

/** Creates a `local` checkpoint over the API, uploads `files` with PUT and commits it: it is `ready` on return. */
export async function seedReadyCheckpoint(
  request: APIRequestContext,
  token: string,
  name: string,
  files: Record<string, string | Buffer>,
): Promise<{ id: string; name: string }> {
  const headers = { authorization: `Bearer ${token}` };
  const created = await request.post("/api/v1/checkpoints", { data: { name, sourceType: "local" }, headers });
  expect(created.status(), await created.text()).toBe(201);
  const { metadata } = (await created.json()) as { metadata: { id: string; name: string } };
  for (const [path, body] of Object.entries(files)) {
    const put = await request.put(`/api/v1/checkpoints/${metadata.id}/files/${path.split("/").map(encodeURIComponent).join("/")}`, {
      data: typeof body === "string" ? Buffer.from(body) : body,
      headers: { ...headers, "content-type": "application/octet-stream" },
    });
    expect(put.ok(), await put.text()).toBe(true);
  }
  const committed = await request.post(`/api/v1/checkpoints/${metadata.id}/commit`, { headers });
  expect(committed.status(), await committed.text()).toBe(200);
  return { id: metadata.id, name: metadata.name };
}
