import { beforeAll, describe, expect, it } from "vitest";
import * as agentJobRoute from "@/app/api/v1/agent/jobs/[id]/route";
import * as agentFinishedRoute from "@/app/api/v1/agent/jobs/[id]/finished/route";
import * as checkpointsRoute from "@/app/api/v1/checkpoints/route";
import * as checkpointRoute from "@/app/api/v1/checkpoints/[ref]/route";
import * as fileRoute from "@/app/api/v1/checkpoints/[ref]/files/[...path]/route";
import * as jobsRoute from "@/app/api/v1/jobs/route";
import * as tokensRoute from "@/app/api/v1/tokens/route";
import type { AgentSpec } from "@/lib/api/schemas/agent";
import { JOB_TOKEN_SCOPE } from "@/lib/api/with-auth";
import { encryptSecret } from "@/lib/connections/crypto";
import { findJobById, insertAttachments, insertJob } from "@/lib/db/queries/jobs";
import { envContext, mintAgentToken } from "@/lib/jobs/agent-token";
import { call, json, readyCheckpoint, sha256, testDatabases, useApiSuite, type Envelope } from "../helpers/api-suite";

describe.each(testDatabases)("job-scoped tokens on %s", (kind) => {
  const suite = useApiSuite(kind, { users: ["alice", "bob"] });
  const { alice, bob } = suite.users;
  let attached: string;
  let other: string;
  let bobPublic: string;
  let jobId: string;
  let siblingId: string;
  let token: string;

  /**
   * A job row as the runner sees it, attaching `attached` and bob's public checkpoint, and its
   * token. Handed to a runner already (`submittedAt`), so the local queue, which a job's end
   * kicks, never claims it: no queue runs in this suite, so these jobs stay queued.
   */
  async function tokenedJob(name: string) {
    const id = crypto.randomUUID();
    const job = await insertJob(suite.database.db, {
      id,
      orgId: alice.orgId,
      name,
      type: "training" as const,
      command: ["true"],
      envCiphertext: encryptSecret({ HF_TOKEN: "hf_secret" }, envContext(alice.orgId, id)),
      creatorUserId: alice.id,
      submittedAt: new Date(),
    });
    await insertAttachments(suite.database.db, [
      { jobId: id, checkpointId: attached, position: 0, mountName: "attached" },
      { jobId: id, checkpointId: bobPublic, position: 1, mountName: "bob-open", public: true },
    ]);
    return { jobId: id, token: await mintAgentToken(suite.database.db, job) };
  }

  // Read-only for the tests below, but for "expires when its job ends", which makes a job of its own.
  beforeAll(async () => {
    attached = await readyCheckpoint(alice, "attached", { "w.bin": "attached weights" });
    other = await readyCheckpoint(alice, "not-attached", { "w.bin": "other weights" });
    bobPublic = await readyCheckpoint(bob, "bob-open", { "p.bin": "public weights" });
    await call(checkpointRoute.PATCH, "/x", { method: "PATCH", token: bob.token, params: { ref: bobPublic }, body: { visibility: "public" } });
    ({ jobId, token } = await tokenedJob("tokened"));
    siblingId = (await tokenedJob("sibling")).jobId;
  });

  const read = (ref: string, file: string, bearer = token) => call(fileRoute.GET, "/x", { token: bearer, params: { ref, path: [file] } });

  it("is stored only as its hash, and opens its own job's agent endpoints (the spec with the user's variables)", async () => {
    const row = await findJobById(suite.database.db, { id: jobId });
    expect(row?.agentTokenHash).toBe(sha256(token));
    expect(JSON.stringify(row)).not.toContain(token);
    const spec = await call(agentJobRoute.GET, "/x", { token, params: { id: jobId } });
    expect(spec.status).toBe(200);
    const body = await json<AgentSpec>(spec);
    expect(body.env).toEqual({ HF_TOKEN: "hf_secret" });
    expect(body.inputs.map((i) => [i.name, i.files.map((f) => f.path)])).toEqual([
      ["attached", ["w.bin"]],
      ["bob-open", ["p.bin"]],
    ]);
    // Another job's endpoints, even in the same organization, do not answer; nor does a user's token.
    expect((await call(agentJobRoute.GET, "/x", { token, params: { id: siblingId } })).status).toBe(404);
    expect((await call(agentJobRoute.GET, "/x", { token: alice.token, params: { id: jobId } })).status).toBe(404);
  });

  it("reads the checkpoints its job attaches, its own org's and public ones, and nothing else", async () => {
    const own = await read(attached, "w.bin");
    expect(own.status).toBe(200);
    expect(await own.text()).toBe("attached weights");
    const open = await read(bobPublic, "p.bin");
    expect(await open.text()).toBe("public weights");
    const notAttached = await read(other, "w.bin");
    expect(notAttached.status).toBe(404);
    expect(await json<Envelope>(notAttached)).toEqual({ error: { code: "not_found", message: `Checkpoint '${other}' was not found.` } });
    // Names are not accepted, only the ids the spec gave: no guessing by name.
    expect((await read("attached", "w.bin")).status).toBe(404);
    const put = await call(fileRoute.PUT, "/x", { method: "PUT", token, rawBody: "x", params: { ref: attached, path: ["evil.bin"] } });
    expect(put.status).toBe(404);
  });

  it("is refused by every other route with a sentence saying what it opens", async () => {
    for (const [handler, opts] of [
      [checkpointsRoute.GET, {}],
      [checkpointsRoute.POST, { method: "POST", body: { name: "from-job", sourceType: "local" } }],
      [jobsRoute.GET, {}],
      [tokensRoute.POST, { method: "POST", body: { name: "escalate" } }],
      [checkpointRoute.DELETE, { method: "DELETE", params: { ref: attached } }],
    ] as const) {
      const response = await call(handler, "/x", { token, ...opts });
      expect(response.status).toBe(403);
      expect(await json<Envelope>(response)).toEqual({ error: { code: "forbidden", message: JOB_TOKEN_SCOPE } });
    }
  });

  it("expires when its job ends", async () => {
    const { jobId, token } = await tokenedJob("ends");
    const ended = await call(agentFinishedRoute.POST, "/x", { method: "POST", token, params: { id: jobId }, body: { exitCode: 0, signal: null, error: null } });
    expect(ended.status).toBe(204);
    const after = await call(agentJobRoute.GET, "/x", { token, params: { id: jobId } });
    expect(after.status).toBe(401);
    expect((await json<Envelope>(after)).error.message).toBe("This job token is not valid: it expired when its job ended.");
    expect((await read(attached, "w.bin", token)).status).toBe(401);
  });
});
