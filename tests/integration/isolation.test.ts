import { beforeAll, describe, expect, it } from "vitest";
import * as list from "@/app/api/v1/checkpoints/route";
import * as one from "@/app/api/v1/checkpoints/[ref]/route";
import * as files from "@/app/api/v1/checkpoints/[ref]/files/route";
import * as file from "@/app/api/v1/checkpoints/[ref]/files/[...path]/route";
import * as commit from "@/app/api/v1/checkpoints/[ref]/commit/route";
import * as logs from "@/app/api/v1/checkpoints/[ref]/logs/route";
import type { CallOptions } from "../helpers/api";
import { addMember, call, createCheckpoint, expectError, json, putFile, signUpWithToken, testDatabases, useApiSuite, type CheckpointAnswer, type Envelope } from "../helpers/api-suite";
import { tus } from "../helpers/tus";

describe.each(testDatabases)("organization isolation and roles on %s", (kind) => {
  const { alice, mallory, viewer } = useApiSuite(kind, { users: ["alice", "mallory", "viewer"] }).users;
  let checkpointId: string;
  let uploadId: string;

  // Read-only for the tests below: alice's private checkpoint with one file and an upload under way.
  beforeAll(async () => {
    await addMember(alice, viewer, "viewer");
    const created = await createCheckpoint(alice, "secret-model");
    checkpointId = (await json<CheckpointAnswer>(created)).metadata.id;
    expect((await putFile(alice, checkpointId, "w.bin", "weights")).status).toBe(201);
    const upload = await tus.create(alice.token, { checkpointId, path: "pending.bin" }, 100);
    uploadId = tus.idFrom(upload);
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
    await expectError(await tus.patch(mallory.token, uploadId, 0, "x".repeat(10)), 404, "not_found");
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
    await addMember(alice, member, "member");
    // A checkpoint of its own: the others stay private.
    const { metadata } = await json<CheckpointAnswer>(await createCheckpoint(alice, "to-publish"));
    const asMember = await call(one.PATCH, "/x", {
      method: "PATCH",
      token: member.token,
      headers: { "x-cairn-org": alice.orgId },
      body: { visibility: "public" },
      params: { ref: metadata.id },
    });
    expect(asMember.status).toBe(403);
    const asOwner = await call(one.PATCH, "/x", { method: "PATCH", token: alice.token, body: { visibility: "public" }, params: { ref: metadata.id } });
    expect(asOwner.status).toBe(200);
    expect((await json<{ metadata: { visibility: string } }>(asOwner)).metadata.visibility).toBe("public");
  });
});
