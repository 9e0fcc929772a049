import { describe, expect, it } from "vitest";
import { answerProblems } from "@/lib/api/openapi/answers";
import { findOperation } from "@/lib/api/openapi/operations";
import type { Operation } from "@/lib/api/openapi/registry";

function operation(method: Parameters<typeof findOperation>[0], path: string): Operation {
  const op = findOperation(method, path);
  if (!op) throw new Error(`no ${method} ${path}`);
  return op;
}

const me = operation("get", "/api/v1/me");
const answer = () => ({
  user: { id: "u1", email: "ada@example.com", name: null },
  org: { id: "o1", role: "owner", usageBytes: 0, logicalBytes: 0, quotaBytes: 10 },
  orgs: [{ id: "o1", name: "Ada's org", slug: "ada", role: "owner" }],
});

describe("holding an answer to the document", () => {
  it("passes an answer as documented", () => {
    expect(answerProblems(me, 200, answer())).toEqual([]);
  });

  it("names a field of the wrong type, and a missing one", () => {
    const wrong = answer() as Record<string, unknown> & ReturnType<typeof answer>;
    (wrong.org as Record<string, unknown>).usageBytes = "0";
    delete (wrong.user as Record<string, unknown>).email;
    const problems = answerProblems(me, 200, wrong);
    expect(problems.some((p) => p.startsWith("org.usageBytes:"))).toBe(true);
    expect(problems.some((p) => p.startsWith("user.email:"))).toBe(true);
  });

  it("names a field the schema does not, nested in arrays too", () => {
    const extra = answer();
    Object.assign(extra.orgs[0] ?? {}, { secret: "x" });
    expect(answerProblems(me, 200, extra)).toEqual(["orgs[0].secret is sent but not in the schema"]);
  });

  it("keeps records open: connection config holds what the provider declares", () => {
    const get = operation("get", "/api/v1/connections/{ref}");
    const body = { id: "c", name: "s3-main", provider: "s3", config: { region: "eu-west-1", anything: true }, secretFields: [], createdAt: "2025-01-01T00:00:00.000Z" };
    expect(answerProblems(get, 200, body)).toEqual([]);
  });

  it("refuses a status the operation does not document, and a body where it documents none", () => {
    expect(answerProblems(me, 201, answer())).toEqual(["status 201 is not documented"]);
    const revoke = operation("delete", "/api/v1/tokens/{id}");
    expect(answerProblems(revoke, 204, undefined)).toEqual([]);
    expect(answerProblems(revoke, 204, {})).toEqual(["a JSON body is sent where the document names none"]);
  });

  it("holds errors to the envelope with a code of their status", () => {
    const notFound = { error: { code: "not_found", message: "That token was not found." } };
    const revoke = operation("delete", "/api/v1/tokens/{id}");
    expect(answerProblems(revoke, 404, notFound)).toEqual([]);
    expect(answerProblems(revoke, 409, { error: { code: "conflict", message: "x" } })).toEqual(["status 409 is not documented"]);
    expect(answerProblems(revoke, 404, { error: { code: "conflict", message: "x" } })).toHaveLength(1);
    expect(answerProblems(revoke, 404, { message: "x" })).not.toEqual([]);
  });
});
