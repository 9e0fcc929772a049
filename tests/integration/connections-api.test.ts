import { describe, expect, it } from "vitest";
import * as list from "@/app/api/v1/connections/route";
import * as one from "@/app/api/v1/connections/[ref]/route";
import * as probe from "@/app/api/v1/connections/[ref]/test/route";
import { openConnection } from "@/lib/connections/service";
import { getDb } from "@/lib/db/client";
import { call, expectError, json, testDatabases, useApiSuite, type Envelope } from "../helpers/api-suite";

const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
/** An S3 connection's body, with the secret the tests look for. */
const awsConnection = (name: string) => ({
  name,
  provider: "s3",
  config: { region: "eu-west-1" },
  secret: { accessKeyId: "AKIAEXAMPLE", secretAccessKey: SECRET },
});

describe.each(testDatabases)("storage connections on %s", (kind) => {
  const suite = useApiSuite(kind, { users: ["owner", "stranger"] });
  const { owner, stranger } = suite.users;

  const create = (body: unknown, token = owner.token) => call(list.POST, "/x", { method: "POST", token, body });

  it("creates a connection and never returns its secret", async () => {
    const response = await create(awsConnection("aws-eu"));
    expect(response.status).toBe(201);
    const body = await response.text();
    expect(body).not.toContain(SECRET);
    expect(JSON.parse(body)).toMatchObject({
      name: "aws-eu",
      provider: "s3",
      config: { region: "eu-west-1" },
      secretFields: ["accessKeyId", "secretAccessKey"],
    });
    const listed = await call(list.GET, "/x", { token: owner.token });
    expect(await listed.text()).not.toContain(SECRET);
    const got = await call(one.GET, "/x", { token: owner.token, params: { ref: "aws-eu" } });
    expect(got.status).toBe(200);
    expect(await got.text()).not.toContain(SECRET);
  });

  it("stores the secret encrypted (AES-256-GCM) and decrypts it for the server's own use", async () => {
    expect((await create(awsConnection("aws-sealed"))).status).toBe(201);
    const { database } = suite;
    const sql = "select secret_ciphertext from connections where name = $1";
    const rows = database.pglite
      ? (await database.pglite.query<{ secret_ciphertext: string }>(sql, ["aws-sealed"])).rows
      : (await database.pool!.query<{ secret_ciphertext: string }>(sql, ["aws-sealed"])).rows;
    expect(rows).toHaveLength(1);
    expect(rows[0].secret_ciphertext).toMatch(/^v1:/);
    expect(rows[0].secret_ciphertext).not.toContain(SECRET);
    expect(Buffer.from(rows[0].secret_ciphertext.slice(3), "base64").toString("latin1")).not.toContain(SECRET);
    const opened = await openConnection(await getDb(), { orgId: owner.orgId, ref: "aws-sealed" });
    expect(opened.secret).toEqual({ accessKeyId: "AKIAEXAMPLE", secretAccessKey: SECRET });
  });

  it("validates provider, config and secret fields with 422 naming them", async () => {
    const missing = await create({ name: "hf", provider: "huggingface", secret: {} });
    expect(missing.status).toBe(422);
    expect((await json<Envelope>(missing)).error.details?.fields).toEqual({ "secret.token": "Enter a Hugging Face access token" });
    const badProvider = await create({ name: "x", provider: "dropbox" });
    expect(badProvider.status).toBe(422);
    expect((await json<Envelope>(badProvider)).error.details?.fields?.provider).toContain("s3, gcs, azure");
    const badEndpoint = await create({ name: "y", provider: "s3", config: { endpoint: "not a url" }, secret: { accessKeyId: "a", secretAccessKey: "b" } });
    expect(badEndpoint.status).toBe(422);
    expect(Object.keys((await json<Envelope>(badEndpoint)).error.details?.fields ?? {})).toEqual(["config.endpoint"]);
    expect((await create(awsConnection("aws-twice"))).status).toBe(201);
    const duplicate = await create({ name: "aws-twice", provider: "s3", secret: { accessKeyId: "a", secretAccessKey: "b" } });
    expect(duplicate.status).toBe(409);
  });

  it("hides connections from other organizations (404) and deletes", async () => {
    expect((await create(awsConnection("aws-hidden"))).status).toBe(201);
    for (const [handler, opts] of [
      [one.GET, {}],
      [one.DELETE, { method: "DELETE" }],
      [probe.POST, { method: "POST" }],
    ] as const) {
      await expectError(await call(handler, "/x", { ...opts, token: stranger.token, params: { ref: "aws-hidden" } }), 404, "not_found");
    }
    expect((await json<{ total: number }>(await call(list.GET, "/x", { token: stranger.token }))).total).toBe(0);
    const deleted = await call(one.DELETE, "/x", { method: "DELETE", token: owner.token, params: { ref: "aws-hidden" } });
    expect(deleted.status).toBe(204);
    expect((await call(one.GET, "/x", { token: owner.token, params: { ref: "aws-hidden" } })).status).toBe(404);
  });

  it("tests a connection without leaking addresses it may not reach", async () => {
    const created = await create({
      name: "minio-local",
      provider: "s3",
      config: { endpoint: "http://127.0.0.1:9", forcePathStyle: true },
      secret: { accessKeyId: "a", secretAccessKey: "b" },
    });
    expect(created.status).toBe(201);
    const response = await call(probe.POST, "/x", { method: "POST", token: owner.token, params: { ref: "minio-local" } });
    expect(response.status).toBe(200);
    const result = await json<{ ok: boolean; message: string }>(response);
    expect(result.ok).toBe(false);
    expect(result.message).toContain("CAIRN_ALLOW_PRIVATE_SOURCES");
  });
});
