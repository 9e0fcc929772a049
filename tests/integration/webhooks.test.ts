import { createHmac } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as checkpointRoute from "@/app/api/v1/checkpoints/[ref]/route";
import * as webhooksRoute from "@/app/api/v1/webhooks/route";
import * as webhookRoute from "@/app/api/v1/webhooks/[id]/route";
import * as deliveriesRoute from "@/app/api/v1/webhooks/[id]/deliveries/route";
import * as redeliverRoute from "@/app/api/v1/webhooks/[id]/deliveries/[deliveryId]/redeliver/route";
import type { CreatedWebhookResponse, WebhookDeliveryList, WebhookDeliveryResponse, WebhookList } from "@/lib/api/schemas/webhooks";
import type { CheckpointResponse } from "@/lib/api/schemas/checkpoints";
import type { JobCaptureResponse, JobResponse } from "@/lib/api/schemas/jobs";
import { webhooks } from "@/lib/db/schema";
import { ALLOW_ENV } from "@/lib/net/guard";
import { startWebhookWorkers } from "@/lib/webhooks/worker";
import {
  addMember,
  call,
  eventually,
  expectError,
  json,
  readyCheckpoint,
  signUpWithToken,
  testDatabases,
  useApiSuite,
  type TestUser,
} from "../helpers/api-suite";
import { finished, jobSandbox, launch } from "../helpers/jobs";

/* ------------------------------------------------------------ the receiver */

type Received = { path: string; method: string; headers: http.IncomingHttpHeaders; body: string };

const received: Received[] = [];
const hits = new Map<string, number>();
const hungClosed: string[] = [];
let base = "";
let receiver: http.Server;

/** A receiver on loopback: `/ok/*` answers 200, `/flaky/*` 500 twice then 200, `/hang/*` never answers, `/redirect*` 302. */
function receive(req: http.IncomingMessage, res: http.ServerResponse) {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const path = req.url ?? "/";
    const count = (hits.get(path) ?? 0) + 1;
    hits.set(path, count);
    received.push({ path, method: req.method ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
    if (path.startsWith("/hang/")) {
      req.socket.on("close", () => hungClosed.push(path));
      return;
    }
    if (path.startsWith("/flaky/") && count <= 2) return res.writeHead(500, { "content-type": "text/plain" }).end("database is down");
    if (path.startsWith("/redirect-metadata/")) return res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data/iam/" }).end();
    if (path.startsWith("/redirect-local/")) return res.writeHead(307, { location: `${base}/ok/redirect-target` }).end();
    res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
  });
}

beforeAll(async () => {
  receiver = http.createServer(receive);
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});

afterAll(async () => {
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
});

const at = (path: string) => received.filter((r) => r.path === path);

/** Each database's suite starts with a receiver that has seen nothing: the paths repeat. */
function forgetReceived() {
  received.length = 0;
  hits.clear();
  hungClosed.length = 0;
}
const sign = (secret: string, body: string) => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

/** The request's headers and body as a receiver checks them: signed with `secret`, and the headers match the body. */
function expectSigned(request: Received, secret: string, event: string) {
  expect(request.method).toBe("POST");
  expect(request.headers["content-type"]).toBe("application/json");
  expect(request.headers["x-cairn-event"]).toBe(event);
  expect(request.headers["x-cairn-signature"]).toBe(sign(secret, request.body));
  expect(request.headers["x-cairn-signature"]).not.toBe(sign(`${secret}x`, request.body));
  const body = JSON.parse(request.body) as { id: string; event: string; createdAt: string; data: unknown };
  expect(body.id).toBe(request.headers["x-cairn-delivery"]);
  expect(body.event).toBe(event);
  expect(new Date(body.createdAt).toISOString()).toBe(body.createdAt);
  return body;
}

/* ------------------------------------------------------------ API calls */

const createWebhook = (user: TestUser, body: unknown, headers?: Record<string, string>) =>
  call(webhooksRoute.POST, "/api/v1/webhooks", { method: "POST", token: user.token, body, headers });

async function webhookFor(user: TestUser, url: string, events: string[]): Promise<CreatedWebhookResponse> {
  const response = await createWebhook(user, { url, events });
  expect(response.status, await response.clone().text()).toBe(201);
  return json<CreatedWebhookResponse>(response);
}

const listWebhooks = (user: TestUser, headers?: Record<string, string>) => call(webhooksRoute.GET, "/api/v1/webhooks", { token: user.token, headers });
const deleteWebhook = (user: TestUser, id: string, headers?: Record<string, string>) =>
  call(webhookRoute.DELETE, `/api/v1/webhooks/${id}`, { method: "DELETE", token: user.token, params: { id }, headers });
const deliveriesCall = (user: TestUser, id: string, query?: Record<string, string>) =>
  call(deliveriesRoute.GET, `/api/v1/webhooks/${id}/deliveries`, { token: user.token, params: { id }, query });
const redeliverCall = (user: TestUser, id: string, deliveryId: string, headers?: Record<string, string>) =>
  call(redeliverRoute.POST, `/api/v1/webhooks/${id}/deliveries/${deliveryId}/redeliver`, { method: "POST", token: user.token, params: { id, deliveryId }, headers });

async function deliveries(user: TestUser, id: string): Promise<WebhookDeliveryResponse[]> {
  const response = await deliveriesCall(user, id);
  expect(response.status).toBe(200);
  return (await json<WebhookDeliveryList>(response)).items;
}

/** Waits for the webhook's only delivery to reach a final status. */
const settled = (user: TestUser, id: string, timeoutMs = 30_000) =>
  eventually(
    async () => `the delivery of webhook ${id} to finish; it is ${JSON.stringify(await deliveries(user, id))}`,
    async () => {
      const [only, ...more] = await deliveries(user, id);
      return only && more.length === 0 && only.status !== "pending" ? only : null;
    },
    timeoutMs,
  );

/** Runs `work` with the outbound allowlist replaced, as an administrator's change (or a DNS change) would. */
async function withAllowList<T>(value: string, work: () => Promise<T>): Promise<T> {
  const saved = process.env[ALLOW_ENV];
  process.env[ALLOW_ENV] = value;
  try {
    return await work();
  } finally {
    process.env[ALLOW_ENV] = saved;
  }
}

const env = {
  CAIRN_ALLOW_PRIVATE_SOURCES: "127.0.0.1/32",
  CAIRN_WEBHOOK_TIMEOUT_SECONDS: "1",
  CAIRN_WEBHOOK_RETRY_DELAY_SECONDS: "1",
  CAIRN_WEBHOOK_RETRY_LIMIT: "3",
};

describe.each(testDatabases)("webhooks on %s", (kind) => {
  const suite = useApiSuite(kind, { users: ["ada", "eve"], env });
  const { ada, eve } = suite.users;

  beforeAll(async () => {
    forgetReceived();
    // One worker: a receiver that never answers must not keep it from everyone else's deliveries.
    await startWebhookWorkers({ concurrency: 1 });
  });

  it("signs checkpoint.ready and checkpoint.deleted with the secret shown once", async () => {
    const user = await signUpWithToken("signed");
    const hook = await webhookFor(user, `${base}/ok/signed`, ["checkpoint.ready", "checkpoint.deleted"]);
    expect(hook).toEqual({
      id: expect.any(String),
      url: `${base}/ok/signed`,
      events: ["checkpoint.ready", "checkpoint.deleted"],
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{32}$/),
      creatorUserID: user.id,
      createdAt: expect.any(String),
      lastDelivery: null,
    });
    const listed = await listWebhooks(user);
    const text = await listed.text();
    expect(text).not.toContain(hook.secret);
    const { secret: _, ...shown } = hook;
    expect((JSON.parse(text) as WebhookList).items).toEqual([shown]);
    const [stored] = await suite.database.db.select().from(webhooks).where(eq(webhooks.id, hook.id));
    expect(stored?.secretCiphertext).toBeTruthy();
    expect(stored?.secretCiphertext).not.toContain(hook.secret.slice(6));

    const id = await readyCheckpoint(user, "hooked", { "model.safetensors": "weights", "config.json": "{}" });
    const ready = await eventually("checkpoint.ready to arrive", async () => at("/ok/signed")[0]);
    const readyBody = expectSigned(ready, hook.secret, "checkpoint.ready");
    const checkpoint = readyBody.data as CheckpointResponse;
    expect(checkpoint.metadata).toMatchObject({ id, name: "hooked", ownerOrgID: user.orgId });
    expect(checkpoint.status.status).toBe("ready");
    expect(checkpoint.status.files?.map((f) => f.path).sort()).toEqual(["config.json", "model.safetensors"]);

    const deleted = await call(checkpointRoute.DELETE, `/api/v1/checkpoints/${id}`, { method: "DELETE", token: user.token, params: { ref: id } });
    expect(deleted.status).toBe(204);
    const gone = await eventually("checkpoint.deleted to arrive", async () => at("/ok/signed")[1]);
    const goneBody = expectSigned(gone, hook.secret, "checkpoint.deleted");
    expect((goneBody.data as CheckpointResponse).metadata.id).toBe(id);
    expect(goneBody.id).not.toBe(readyBody.id);

    const list = await eventually("both deliveries to succeed", async () => {
      const items = await deliveries(user, hook.id);
      return items.length === 2 && items.every((d) => d.status === "succeeded") ? items : null;
    });
    expect(list.map((d) => [d.id, d.event, d.attempts, d.responseStatus, d.error])).toEqual([
      [goneBody.id, "checkpoint.deleted", 1, 200, null],
      [readyBody.id, "checkpoint.ready", 1, 200, null],
    ]);
    const afterwards = await json<WebhookList>(await listWebhooks(user));
    expect(afterwards.items[0]?.lastDelivery).toMatchObject({ id: goneBody.id, status: "succeeded", responseStatus: 200 });
  });

  it("tries a receiver that answers 500 twice then 200 exactly three times, recording each try", async () => {
    const user = await signUpWithToken("flaky");
    const hook = await webhookFor(user, `${base}/flaky/three`, ["checkpoint.ready"]);
    await readyCheckpoint(user, "flaky-one", { "w.bin": "w" });
    const between = await eventually("the first failed try to be recorded", async () => {
      const [delivery] = await deliveries(user, hook.id);
      return delivery?.status === "pending" && delivery.attempts >= 1 ? delivery : null;
    });
    expect(between).toMatchObject({ responseStatus: 500, error: "The receiver answered 500: database is down" });
    const done = await settled(user, hook.id);
    expect(done).toMatchObject({ status: "succeeded", attempts: 3, responseStatus: 200, error: null });
    const tries = at("/flaky/three");
    expect(tries).toHaveLength(3);
    expect(new Set(tries.map((t) => t.headers["x-cairn-delivery"]))).toEqual(new Set([done.id]));
    for (const t of tries) expectSigned(t, hook.secret, "checkpoint.ready");
    expect(new Set(tries.map((t) => t.body)).size).toBe(1);
  });

  it("times out a receiver that never answers and goes on delivering other webhooks' events", async () => {
    const silent = await signUpWithToken("silent");
    const other = await signUpWithToken("other");
    const hung = await webhookFor(silent, `${base}/hang/forever`, ["checkpoint.ready"]);
    const fine = await webhookFor(other, `${base}/ok/after-hang`, ["checkpoint.ready"]);
    await readyCheckpoint(silent, "into-the-void", { "w.bin": "w" });
    // The only worker is now waiting on the silent receiver.
    await eventually("the silent receiver to be called", async () => at("/hang/forever").length > 0);
    const [tried] = await deliveries(silent, hung.id);
    if (!tried) throw new Error("no delivery recorded");
    await expectError(await redeliverCall(silent, hung.id, tried.id), 409, "conflict");

    await readyCheckpoint(other, "meanwhile", { "w.bin": "w" });
    const delivered = await settled(other, fine.id);
    expect(delivered).toMatchObject({ status: "succeeded", attempts: 1, responseStatus: 200 });
    expect(at("/ok/after-hang")).toHaveLength(1);

    const timedOut = await eventually("the silent receiver's try to be recorded", async () => {
      const [delivery] = await deliveries(silent, hung.id);
      return delivery && delivery.attempts >= 1 ? delivery : null;
    });
    expect(timedOut).toMatchObject({ responseStatus: null, error: expect.stringContaining("did not answer within 1 s") });
    // Cairn hung up: the socket the receiver kept open was closed from Cairn's side.
    expect(hungClosed).toContain("/hang/forever");
    // Deleting the webhook ends its retries along with its deliveries.
    expect((await deleteWebhook(silent, hung.id)).status).toBe(204);
  });

  it("refuses loopback, private, link-local and metadata URLs when the webhook is created", async () => {
    const user = await signUpWithToken("ssrf");
    const variants = [
      "http://localhost/hook",
      "http://127.0.0.1/hook",
      `${base}/ok/not-allowed`,
      "http://[::1]/hook",
      "http://[::ffff:127.0.0.1]/hook",
      "http://0x7f000001/hook",
      "http://2130706433/hook",
      "http://0177.0.0.1/hook",
      "http://127.1/hook",
      "http://0.0.0.0/hook",
      "http://169.254.169.254/latest/meta-data/",
      "http://[fd00:ec2::254]/latest/meta-data/",
      "http://10.0.0.1/hook",
      "http://192.168.1.1/hook",
      "http://100.64.0.1/hook",
    ];
    await withAllowList("", async () => {
      for (const url of variants) {
        const body = await expectError(await createWebhook(user, { url, events: ["checkpoint.ready"] }), 422, "validation_failed");
        expect(body.error.message, url).toMatch(/^Webhooks are only sent to public addresses/);
        expect(body.error.details?.fields?.url, url).toContain(`${ALLOW_ENV}=`);
      }
    });
    const malformed: [unknown, string, RegExp][] = [
      [{ url: "ftp://example.com/hook", events: ["checkpoint.ready"] }, "url", /http:\/\/ or https:\/\//],
      [{ url: "https://user:pw@example.com/hook", events: ["checkpoint.ready"] }, "url", /user name and password/],
      [{ url: "not a url", events: ["checkpoint.ready"] }, "url", /absolute URL/],
      [{ url: "https://example.com/hook", events: [] }, "events", /at least one event/],
      [{ url: "https://example.com/hook", events: ["checkpoint.exploded"] }, "events.0", /checkpoint\.ready/],
      [{ url: "https://example.com/hook", events: ["checkpoint.ready"], secret: "mine" }, "secret", /./],
    ];
    for (const [input, field, message] of malformed) {
      const body = await expectError(await createWebhook(user, input), 422, "validation_failed");
      expect(body.error.details?.fields?.[field], JSON.stringify(input)).toMatch(message);
    }
    expect((await json<WebhookList>(await listWebhooks(user))).items).toEqual([]);
  });

  it("refuses at delivery time an address no longer allowed, and redelivers once it is", async () => {
    const user = await signUpWithToken("rebind");
    // A name, resolved again when the delivery is sent: what counts is the address dialled then.
    const url = `http://localhost:${new URL(base).port}/ok/rebind`;
    const hook = await withAllowList("127.0.0.1/32,::1/128", () => webhookFor(user, url, ["checkpoint.ready"]));
    const refused = await withAllowList("", async () => {
      await readyCheckpoint(user, "rebound", { "w.bin": "w" });
      return settled(user, hook.id);
    });
    expect(refused).toMatchObject({ status: "failed", attempts: 1, responseStatus: null });
    expect(refused.error).toMatch(/^Not sent\. Refusing to connect to localhost/);
    expect(refused.error).toContain(ALLOW_ENV);
    expect(at("/ok/rebind")).toHaveLength(0);

    const again = await withAllowList("127.0.0.1/32,::1/128", async () => {
      const response = await redeliverCall(user, hook.id, refused.id);
      expect(response.status).toBe(202);
      expect(await json<WebhookDeliveryResponse>(response)).toMatchObject({ id: refused.id, status: "pending" });
      return settled(user, hook.id);
    });
    expect(again).toMatchObject({ id: refused.id, status: "succeeded", attempts: 2, responseStatus: 200, error: null });
    const [arrived] = at("/ok/rebind");
    if (!arrived) throw new Error("the redelivery did not arrive");
    expect(expectSigned(arrived, hook.secret, "checkpoint.ready").id).toBe(refused.id);
  });

  it("does not follow redirects, to the metadata address or anywhere else", async () => {
    const user = await signUpWithToken("redirect");
    const metadata = await webhookFor(user, `${base}/redirect-metadata/x`, ["checkpoint.ready"]);
    const local = await webhookFor(user, `${base}/redirect-local/x`, ["checkpoint.ready"]);
    await readyCheckpoint(user, "redirected", { "w.bin": "w" });
    const toMetadata = await settled(user, metadata.id);
    const toLocal = await settled(user, local.id);
    expect(toMetadata).toMatchObject({ status: "failed", attempts: 1, responseStatus: 302 });
    expect(toMetadata.error).toContain("redirect to http://169.254.169.254/latest/meta-data/iam/; deliveries do not follow redirects");
    expect(toLocal).toMatchObject({ status: "failed", attempts: 1, responseStatus: 307 });
    expect(at("/ok/redirect-target")).toHaveLength(0);
  });

  it("keeps webhooks to their organization and their management to owners and admins", async () => {
    const hook = await webhookFor(ada, `${base}/ok/ada`, ["checkpoint.ready"]);
    await readyCheckpoint(ada, "ada-model", { "w.bin": "w" });
    const [delivery] = await eventually("ada's delivery", async () => {
      const items = await deliveries(ada, hook.id);
      return items.length > 0 ? items : null;
    });
    if (!delivery) throw new Error("no delivery");

    expect((await json<WebhookList>(await listWebhooks(eve))).items).toEqual([]);
    await expectError(await deleteWebhook(eve, hook.id), 404, "not_found");
    await expectError(await deliveriesCall(eve, hook.id), 404, "not_found");
    await expectError(await redeliverCall(eve, hook.id, delivery.id), 404, "not_found");
    await expectError(await deleteWebhook(eve, "not-a-uuid"), 404, "not_found");
    // Eve's own webhook does not open ada's deliveries either.
    const eves = await webhookFor(eve, `${base}/ok/eve`, ["job.finished"]);
    await expectError(await redeliverCall(eve, eves.id, delivery.id), 404, "not_found");

    const member = await signUpWithToken("member");
    await addMember(ada, member, "member");
    const asAda = { "x-cairn-org": ada.orgId };
    const seen = await json<WebhookList>(await listWebhooks(member, asAda));
    expect(seen.items.map((w) => w.id)).toEqual([hook.id]);
    await expectError(await createWebhook(member, { url: `${base}/ok/member`, events: ["checkpoint.ready"] }, asAda), 403, "forbidden");
    await expectError(await deleteWebhook(member, hook.id, asAda), 403, "forbidden");
    await expectError(await redeliverCall(member, hook.id, delivery.id, asAda), 403, "forbidden");

    expect((await deleteWebhook(ada, hook.id)).status).toBe(204);
    expect((await json<WebhookList>(await listWebhooks(ada))).items).toEqual([]);
    await expectError(await deliveriesCall(ada, hook.id), 404, "not_found");
  });

  it("pages the deliveries list newest first", async () => {
    const user = await signUpWithToken("pages");
    const hook = await webhookFor(user, `${base}/ok/pages`, ["checkpoint.ready"]);
    for (const name of ["p1", "p2", "p3"]) await readyCheckpoint(user, name, { "w.bin": name });
    const all = await eventually("three deliveries", async () => {
      const items = await deliveries(user, hook.id);
      return items.length === 3 ? items : null;
    });
    const first = await json<WebhookDeliveryList>(await deliveriesCall(user, hook.id, { limit: "2" }));
    expect(first.total).toBe(3);
    expect(first.items.map((d) => d.id)).toEqual(all.slice(0, 2).map((d) => d.id));
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await json<WebhookDeliveryList>(await deliveriesCall(user, hook.id, { limit: "2", cursor: first.nextCursor ?? "" }));
    expect(second.items.map((d) => d.id)).toEqual([all[2]?.id]);
    expect(second.nextCursor).toBeNull();
    await expectError(await deliveriesCall(user, hook.id, { cursor: "garbage" }), 400, "invalid_request");
  });
});

describe.each(testDatabases)("webhooks for jobs on %s", (kind) => {
  const suite = useApiSuite(kind, { users: ["trainer"], env: { ...env, CAIRN_CAPTURE_QUIET_SECONDS: "1", CAIRN_CAPTURE_LINGER_SECONDS: "0" }, jobs: { runner: "local" } });
  const { trainer } = suite.users;

  beforeAll(async () => {
    forgetReceived();
    jobSandbox(suite.dataDir);
    await startWebhookWorkers({ concurrency: 1 });
  });

  it("sends capture.ready with the job, the capture and its checkpoint, then job.finished", async () => {
    const hook = await webhookFor(trainer, `${base}/ok/jobs`, ["job.finished", "capture.ready"]);
    const write = `const fs=require("fs"),p=require("path"),d=p.join(process.env.FLEXAI_OUTPUT_CHECKPOINT_DIR,"step-7");fs.mkdirSync(d);fs.writeFileSync(p.join(d,"model.bin"),"weights")`;
    const created = await launch(trainer, { name: "hooked-run", type: "training", command: [process.execPath, "-e", write] });
    expect(created.status, await created.clone().text()).toBe(201);
    const job = await json<JobResponse>(created);
    const ended = await finished(trainer, job.id);
    expect(ended.status).toBe("succeeded");

    const [capture, done] = await eventually("capture.ready and job.finished", async () => {
      const got = at("/ok/jobs");
      const find = (event: string) => got.find((r) => r.headers["x-cairn-event"] === event);
      const pair = [find("capture.ready"), find("job.finished")];
      return pair[0] && pair[1] ? (pair as Received[]) : null;
    });
    const captureData = expectSigned(capture as Received, hook.secret, "capture.ready").data as { job: JobResponse; capture: JobCaptureResponse; checkpoint: CheckpointResponse };
    expect(captureData.job.id).toBe(job.id);
    expect(captureData.capture).toMatchObject({ path: "step-7", status: "ready", checkpointId: captureData.checkpoint.metadata.id });
    expect(captureData.checkpoint.spec).toMatchObject({ sourceType: "job", producedBy: { jobId: job.id, jobName: "hooked-run" } });
    expect(captureData.checkpoint.status.files?.map((f) => f.path)).toEqual(["model.bin"]);
    const finishedJob = expectSigned(done as Received, hook.secret, "job.finished").data as JobResponse;
    expect(finishedJob).toMatchObject({ id: job.id, status: "succeeded", exitCode: 0 });
    expect(finishedJob.outputs).toEqual([captureData.checkpoint.metadata.id]);
  });
});
