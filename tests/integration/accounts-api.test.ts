import { describe, expect, it } from "vitest";
import * as users from "@/app/api/v1/users/route";
import * as tokens from "@/app/api/v1/tokens/route";
import * as token from "@/app/api/v1/tokens/[id]/route";
import * as me from "@/app/api/v1/me/route";
import * as members from "@/app/api/v1/orgs/current/members/route";
import * as checkpoints from "@/app/api/v1/checkpoints/route";
import { call, expectError, json, signUpWithToken, testDatabases, useApiSuite, type Envelope } from "../helpers/api-suite";

const signUp = (email: string, password = "long enough") => call(users.POST, "/api/v1/users", { method: "POST", body: { email, password } });

describe.each(testDatabases)("accounts and tokens on %s", (kind) => {
  const suite = useApiSuite(kind);

  it("signs up a user who owns a new organization", async () => {
    const response = await call(users.POST, "/api/v1/users", {
      method: "POST",
      body: { email: "Ada@Example.com", password: "long enough", name: "Ada" },
    });
    expect(response.status).toBe(201);
    const body = await json(response);
    expect(body).toEqual({ id: expect.any(String), email: "ada@example.com", orgId: expect.any(String) });
  });

  it("answers 409 for an email that exists, whatever its case", async () => {
    expect((await signUp("Grace@Example.com")).status).toBe(201);
    const response = await signUp("GRACE@example.com");
    expect(response.status).toBe(409);
    expect(await json(response)).toEqual({
      error: { code: "conflict", message: "An account with this email already exists. Sign in instead." },
    });
  });

  it("answers 422 naming the field for a short password", async () => {
    const response = await call(users.POST, "/api/v1/users", { method: "POST", body: { email: "b@example.com", password: "short" } });
    expect(response.status).toBe(422);
    const body = await json<Envelope>(response);
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.details?.fields).toEqual({ password: "Use at least 8 characters" });
    expect(body.error.message).toContain("password");
  });

  it("answers 400 for malformed JSON", async () => {
    const response = await call(users.POST, "/api/v1/users", {
      method: "POST",
      rawBody: "{not json",
      headers: { "content-type": "application/json" },
    });
    expect(response.status).toBe(400);
    expect(await json(response)).toEqual({
      error: { code: "invalid_request", message: "The request body is not valid JSON. Send a JSON object." },
    });
  });

  it("answers 403 when sign-up is turned off", async () => {
    process.env.CAIRN_SIGNUP = "false";
    try {
      const response = await call(users.POST, "/api/v1/users", { method: "POST", body: { email: "c@example.com", password: "long enough" } });
      await expectError(response, 403, "forbidden");
    } finally {
      delete process.env.CAIRN_SIGNUP;
    }
  });

  it("issues a token with Basic auth, shows it once, stores only its hash", async () => {
    expect((await signUp("lin@example.com")).status).toBe(201);
    const issued = await call(tokens.POST, "/api/v1/tokens", {
      method: "POST",
      basic: ["lin@example.com", "long enough"],
      body: { name: "laptop" },
    });
    expect(issued.status).toBe(201);
    const created = await json<{ id: string; name: string; token: string }>(issued);
    expect(created.token).toMatch(/^cairn_[A-Za-z0-9_-]{40,}$/);

    const listed = await json<{ items: Record<string, unknown>[] }>(await call(tokens.GET, "/api/v1/tokens", { token: created.token }));
    expect(listed.items).toHaveLength(1);
    // The first use is recorded; uses within the next minute do not write the row again.
    const firstUse = listed.items[0]?.lastUsedAt;
    expect(typeof firstUse).toBe("string");
    await new Promise((resolve) => setTimeout(resolve, 20));
    const again = await json<{ items: Record<string, unknown>[] }>(await call(tokens.GET, "/api/v1/tokens", { token: created.token }));
    expect(again.items[0]?.lastUsedAt).toBe(firstUse);
    expect(listed.items[0]).toMatchObject({ id: created.id, name: "laptop" });
    expect(JSON.stringify(listed)).not.toContain(created.token);

    const stored = await suite.database.pglite?.query<{ token_hash: string }>("select token_hash from api_tokens where id = $1", [created.id]);
    if (stored) expect(stored.rows[0].token_hash).not.toContain(created.token);

    const revoked = await call(token.DELETE, `/api/v1/tokens/${created.id}`, { method: "DELETE", token: created.token, params: { id: created.id } });
    expect(revoked.status).toBe(204);
    const after = await call(tokens.GET, "/api/v1/tokens", { token: created.token });
    expect(after.status).toBe(401);
  });

  it("refuses wrong Basic credentials and Basic on ordinary routes", async () => {
    expect((await signUp("basic@example.com")).status).toBe(201);
    const wrong = await call(tokens.POST, "/api/v1/tokens", { method: "POST", basic: ["basic@example.com", "nope nope"], body: { name: "x" } });
    expect(wrong.status).toBe(401);
    expect(await json(wrong)).toEqual({ error: { code: "unauthorized", message: "Wrong email or password." } });
    const basicElsewhere = await call(checkpoints.GET, "/api/v1/checkpoints", { basic: ["basic@example.com", "long enough"] });
    expect(basicElsewhere.status).toBe(401);
  });

  it("answers 401 with the envelope without credentials or with a bad token", async () => {
    const anonymous = await call(checkpoints.GET, "/api/v1/checkpoints");
    expect(anonymous.status).toBe(401);
    expect(await json(anonymous)).toEqual({
      error: { code: "unauthorized", message: "Sign in, or send an API token as 'Authorization: Bearer <token>'." },
    });
    const bad = await call(checkpoints.GET, "/api/v1/checkpoints", { token: "cairn_not-a-token" });
    await expectError(bad, 401, "unauthorized");
  });

  it("lets owners add members, and picks the org from the x-cairn-org header", async () => {
    const owner = await signUpWithToken("owner");
    const other = await signUpWithToken("other");
    const added = await call(members.POST, "/api/v1/orgs/current/members", {
      method: "POST",
      token: owner.token,
      body: { email: other.email, role: "viewer" },
    });
    expect(added.status).toBe(201);
    const listed = await json<{ items: { email: string; role: string }[] }>(
      await call(members.GET, "/api/v1/orgs/current/members", { token: owner.token }),
    );
    expect(listed.items.map((m) => [m.email, m.role])).toEqual([
      [owner.email, "owner"],
      [other.email, "viewer"],
    ]);

    const inOwnOrg = await json<{ org: { id: string; role: string }; orgs: unknown[] }>(await call(me.GET, "/api/v1/me", { token: other.token }));
    expect(inOwnOrg.org).toMatchObject({ id: other.orgId, role: "owner" });
    expect(inOwnOrg.orgs).toHaveLength(2);
    const switched = await json<{ org: { id: string; role: string } }>(
      await call(me.GET, "/api/v1/me", { token: other.token, headers: { "x-cairn-org": owner.orgId } }),
    );
    expect(switched.org).toMatchObject({ id: owner.orgId, role: "viewer" });

    const viewerAdds = await call(members.POST, "/api/v1/orgs/current/members", {
      method: "POST",
      token: other.token,
      headers: { "x-cairn-org": owner.orgId },
      body: { email: owner.email, role: "member" },
    });
    await expectError(viewerAdds, 403, "forbidden");

    const unknown = await call(members.POST, "/api/v1/orgs/current/members", {
      method: "POST",
      token: owner.token,
      body: { email: "nobody@example.com" },
    });
    expect((await expectError(unknown, 404, "not_found")).error.message).toContain("Ask them to sign up first");
  });
});
