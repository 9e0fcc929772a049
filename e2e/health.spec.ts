import { expect, test } from "./fixtures";

test("health reports the embedded database and blob store", async ({ request }) => {
  const response = await request.get("/api/health");
  expect(response.status()).toBe(200);
  expect(await response.json()).toEqual({ ok: true, db: "pglite", storage: "fs" });
});

test("the API refuses an anonymous caller with the envelope", async ({ playwright, baseURL }) => {
  const anonymous = await playwright.request.newContext({ baseURL, storageState: { cookies: [], origins: [] } });
  const response = await anonymous.get("/api/v1/checkpoints");
  expect(response.status()).toBe(401);
  expect((await response.json()).error.code).toBe("unauthorized");
  await anonymous.dispose();
});

test("the session cookie from sign-in authenticates API calls", async ({ request }) => {
  const response = await request.get("/api/v1/me");
  expect(response.status()).toBe(200);
  expect((await response.json()).user.email).toBe("e2e-owner@example.com");
});
