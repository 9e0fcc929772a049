import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as list from "@/app/api/v1/checkpoints/route";
import * as one from "@/app/api/v1/checkpoints/[ref]/route";
import * as files from "@/app/api/v1/checkpoints/[ref]/files/route";
import * as file from "@/app/api/v1/checkpoints/[ref]/files/[...path]/route";
import * as commit from "@/app/api/v1/checkpoints/[ref]/commit/route";
import * as logs from "@/app/api/v1/checkpoints/[ref]/logs/route";
import * as members from "@/app/api/v1/orgs/current/members/route";
import { call, json, useTempDataDir, type CallOptions } from "../helpers/api";
import { signUpWithToken, type TestUser } from "../helpers/accounts";
import { openTestDatabase, testDatabases, type TestDatabase } from "../helpers/db";
import { tus } from "../helpers/tus";

type Envelope = { error: { code: string; message: string } };

describe.each(testDatabases)("organization isolation and roles on %s", (kind) => {
  let database: TestDatabase;
  let data: ReturnType<typeof useTempDataDir>;
  let alice: TestUser;
  let mallory: TestUser;
  let viewer: TestUser;
  let checkpointId: string;
  let uploadId: string;

  beforeAll(async () => {
    data = useTempDataDir();
    database = await openTestDatabase(kind);
    alice = await signUpWithToken("alice");
    mallory = await signUpWithToken("mallory");
    viewer = await signUpWithToken("viewer");
    await call(members.POST, "/x", { method: "POST", token: alice.token, body: { email: viewer.email, role: "viewer" } });
    const created = await call(list.POST, "/x", { method: "POST", token: alice.token, body: { name: "secret-model", sourceType: "local" } });
    checkpointId = (await json<{ metadata: { id: string } }>(created)).metadata.id;
    await call(file.PUT, "/x", { method: "PUT", token: alice.token, rawBody: "weights", params: { ref: checkpointId, path: ["w.bin"] } });
    const upload = await tus.create(alice.token, { checkpointId, path: "pending.bin" }, 100);
    uploadId = tus.idFrom(upload);
  });
  afterAll(async () => {
    await database.close();
    data.cleanup();
  });

  const routes = (ref: string): [string, unknown, CallOptions][] => [
    ["GET checkpoint", one.GET, { params: { ref } }],
    ["PATCH checkpoint", one.PATCH, { method: "PATCH", body: { name: "stolen" }, params: { ref } }],
    ["DELETE checkpoint", one.DELETE, { method: "DELETE", params: { ref } }],
    ["GET files", files.GET, { params: { ref } }],
    ["GET file", file.GET, { params: { ref, path: ["w.bin"] } }],
    ["PUT file", file.PUT, { method: "PUT", rawBody: "x", params: { ref, path: ["x.bin"] } }],
    ["POST commit", commit.POST, { method: "POST", params: { ref } }],
    ["GET logs", logs.GET, { params: { ref } }],
  ];

  it("answers 404 on every checkpoint route for another org's checkpoint, by id and by name", async () => {
    for (const ref of [checkpointId, "secret-model"]) {
      for (const [label, handler, opts] of routes(ref)) {
        const response = await call(handler, "/x", { ...opts, token: mallory.token });
        expect(response.status, `${label} ${ref}`).toBe(404);
        expect((await json<Envelope>(response)).error.code, label).toBe("not_found");
      }
    }
    const listed = await json<{ total: number }>(await call(list.GET, "/x", { token: mallory.token }));
    expect(listed.total).toBe(0);
  });

  it("answers 404 on every tus route for another org's upload and checkpoint", async () => {
    expect((await tus.head(mallory.token, uploadId)).status).toBe(404);
    const patch = await tus.patch(mallory.token, uploadId, 0, "x".repeat(10));
    expect(patch.status).toBe(404);
    expect((await json<Envelope>(patch)).error.code).toBe("not_found");
    expect((await tus.remove(mallory.token, uploadId)).status).toBe(404);
    const create = await tus.create(mallory.token, { checkpointId, path: "intrude.bin" }, 10);
    expect(create.status).toBe(404);
    expect((await tus.head(alice.token, uploadId)).status).toBe(200);
  });

  it("lets a viewer read but answers 403 to every write", async () => {
    const opts = { token: viewer.token, headers: { "x-cairn-org": alice.orgId } };
    expect((await call(one.GET, "/x", { ...opts, params: { ref: checkpointId } })).status).toBe(200);
    const writes: [string, unknown, CallOptions][] = [
      ["POST checkpoints", list.POST, { method: "POST", body: { name: "v-made", sourceType: "local" } }],
      ...routes(checkpointId).filter(([label]) => !label.startsWith("GET")),
    ];
    for (const [label, handler, extra] of writes) {
      const response = await call(handler, "/x", { ...extra, ...opts });
      expect(response.status, label).toBe(403);
      expect(await json(response), label).toEqual({
        error: { code: "forbidden", message: "Your role in this organization is read-only. Ask an owner or admin for the member role." },
      });
    }
    expect((await tus.create(viewer.token, { checkpointId, path: "v.bin" }, 10, { "x-cairn-org": alice.orgId })).status).toBe(403);
  });

  it("lets only owners and admins change visibility", async () => {
    const member = await signUpWithToken("member");
    await call(members.POST, "/x", { method: "POST", token: alice.token, body: { email: member.email, role: "member" } });
    const asMember = await call(one.PATCH, "/x", {
      method: "PATCH",
      token: member.token,
      headers: { "x-cairn-org": alice.orgId },
      body: { visibility: "public" },
      params: { ref: checkpointId },
    });
    expect(asMember.status).toBe(403);
    const asOwner = await call(one.PATCH, "/x", { method: "PATCH", token: alice.token, body: { visibility: "public" }, params: { ref: checkpointId } });
    expect(asOwner.status).toBe(200);
    expect((await json<{ metadata: { visibility: string } }>(asOwner)).metadata.visibility).toBe("public");
  });
});
