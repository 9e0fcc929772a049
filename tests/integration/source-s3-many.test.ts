import { createHash } from "node:crypto";
import http from "node:http";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as logsRoute from "@/app/api/v1/checkpoints/[ref]/logs/route";
import * as filesRoute from "@/app/api/v1/checkpoints/[ref]/files/route";
import * as connections from "@/app/api/v1/connections/route";
import { getDb } from "@/lib/db/client";
import { runIngest } from "@/lib/ingest/run";
import { s3Source } from "@/lib/sources/s3/adapter";
import { PermanentSourceError, type SourceContext } from "@/lib/sources/types";
import { call, createCheckpoint, getCheckpoint, json, sha256, testDatabases, useApiSuite, type CheckpointAnswer } from "../helpers/api-suite";
import { sha256Of } from "../helpers/files";
import { startS3rverProcess } from "../helpers/s3-process";

const BUCKET = "many-src";
const MANY = 2_000;

/** Small deterministic bytes of varying length, different for every seed. */
const bytesFor = (seed: string, size: number) => {
  const out = Buffer.alloc(size);
  for (let at = 0; at < size; at += 32) createHash("sha256").update(`${seed}:${at}`).digest().copy(out, at);
  return out;
};

// The 2,000-object prefix: past s3rver's 1,000 keys a page, where its ListObjectsV2 answers
// InternalError (started without OpenSSL's legacy provider, as a new user's s3rver is).
const many = new Map(Array.from({ length: MANY }, (_, i) => [`shard-${String(i).padStart(5, "0")}.bin`, bytesFor(`many-${i}`, 40 + (i % 97))]));
// A few objects read through a proxy that fails chosen GETs; the rest of the prefix reads normally.
const flaky = new Map([
  ["twice-500.bin", bytesFor("twice", 3_000)],
  ["cut-midway.bin", bytesFor("cut", 200_000)],
  ["past-sdk-retries.bin", bytesFor("past", 5_000)],
  ...Array.from({ length: 12 }, (_, i) => [`steady-${i}.bin`, bytesFor(`steady-${i}`, 1_000 + i)] as const),
]);
/** How each flaky object's n-th GET (1-based) is answered: a 500, a body cut half-way, or passed through. */
const failures: Record<string, (n: number) => "500" | "cut" | null> = {
  "twice-500.bin": (n) => (n <= 2 ? "500" : null),
  "cut-midway.bin": (n) => (n === 1 ? "cut" : null),
  // The SDK tries a request 5 times; the sixth 500 reaches the per-object retry.
  "past-sdk-retries.bin": (n) => (n <= 6 ? "500" : null),
};

/** A loopback proxy in front of s3rver that fails chosen object GETs, recording every request and each object GET with its Range. */
async function startFailingProxy(target: string) {
  const upstream = new URL(target);
  const requests: string[] = [];
  const gets: { key: string; range: string | null; answer: string }[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    // Path-style: /bucket for a listing, /bucket/prefix/name for an object.
    const [, , ...keyParts] = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname).split("/");
    const key = req.method === "GET" && keyParts.length > 0 ? keyParts.at(-1) : undefined;
    const n = key ? gets.filter((g) => g.key === key).length + 1 : 0;
    const answer = (key && failures[key]?.(n)) || null;
    if (key) gets.push({ key, range: req.headers.range ?? null, answer: answer ?? "pass" });
    if (answer === "500") {
      res.writeHead(500, { "content-type": "application/xml" });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>');
      return;
    }
    const forward = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answerStream) => {
      res.writeHead(answerStream.statusCode ?? 502, answerStream.headers);
      if (answer !== "cut") return void answerStream.pipe(res);
      // Half the body, then the connection drops: a reset mid-transfer.
      const half = Number(answerStream.headers["content-length"]) / 2;
      let sent = 0;
      answerStream.on("data", (chunk: Buffer) => {
        if (sent >= half) return;
        res.write(chunk.subarray(0, half - sent));
        sent += Math.min(chunk.length, half - sent);
        if (sent >= half) setTimeout(() => res.socket?.destroy(), 50);
      });
    });
    forward.on("error", () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    requests,
    gets,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let s3: Awaited<ReturnType<typeof startS3rverProcess>>;
let proxy: Awaited<ReturnType<typeof startFailingProxy>>;

beforeAll(async () => {
  s3 = await startS3rverProcess([BUCKET]);
  proxy = await startFailingProxy(s3.endpoint);
  // Fixtures go in with the SDK's own client, outside the guard.
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    requestChecksumCalculation: "WHEN_REQUIRED",
  });
  const uploads = [...[...many].map(([name, body]) => [`many/${name}`, body] as const), ...[...flaky].map(([name, body]) => [`flaky/${name}`, body] as const)];
  for (let i = 0; i < uploads.length; i += 200) {
    await Promise.all(uploads.slice(i, i + 200).map(([Key, Body]) => client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body }))));
  }
  client.destroy();
}, 120_000);

afterAll(async () => {
  await proxy?.stop();
  await s3?.stop();
});

describe.each(testDatabases)("S3 prefixes of many objects, and objects that fail a few reads, on %s", (kind) => {
  const suite = useApiSuite(kind, { users: ["many"], env: { CAIRN_ALLOW_PRIVATE_SOURCES: "127.0.0.1/32" } });
  const { many: user } = suite.users;

  beforeAll(async () => {
    for (const [name, endpoint] of [["s3rver", s3.endpoint], ["s3rver-flaky", proxy.endpoint]]) {
      const body = { name, provider: "s3", config: { endpoint, forcePathStyle: true }, secret: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } };
      const created = await call(connections.POST, "/x", { method: "POST", token: user.token, body });
      expect(created.status, await created.clone().text()).toBe(201);
    }
  });

  /** Creates an S3 checkpoint and runs its ingest once, here (no queue): a restart would need a second run. */
  const ingestOnce = async (name: string, sourceUri: string, connection: string, sourceOptions?: Record<string, string>) => {
    const created = await createCheckpoint(user, name, { sourceType: "s3", sourceUri, connection, ...(sourceOptions && { sourceOptions }) });
    expect(created.status, await created.clone().text()).toBe(201);
    const id = (await json<CheckpointAnswer>(created)).metadata.id;
    await runIngest(await getDb(), id);
    return getCheckpoint(user, id);
  };
  const logOf = async (id: string) =>
    (await json<{ items: { level: string; message: string }[] }>(await call(logsRoute.GET, "/x", { token: user.token, params: { ref: id } }))).items;
  const filesOf = async (id: string) =>
    (await json<{ items: { path: string; size: number; sha256: string }[] }>(await call(filesRoute.GET, "/x", { token: user.token, params: { ref: id } }))).items;
  const manifest = (objects: Map<string, Buffer>) =>
    [...objects].map(([path, body]) => ({ path, size: body.length, sha256: sha256(body) })).sort((a, b) => a.path.localeCompare(b.path));
  const sorted = <T extends { path: string }>(items: T[]) => [...items].sort((a, b) => a.path.localeCompare(b.path));

  const expectOneAttempt = (log: { message: string }[]) => {
    expect(log.filter((l) => l.message.startsWith("Attempt ")).map((l) => l.message)).toEqual([expect.stringMatching(/^Attempt 1: reading s3:\/\//)]);
    expect(log.some((l) => /Attempt failed|will retry/.test(l.message))).toBe(false);
  };

  it("ingests a 2,000-object prefix whole, switching to ListObjects (v1) when the server fails ListObjectsV2", async () => {
    const checkpoint = await ingestOnce("many-auto", `s3://${BUCKET}/many/`, "s3rver");
    expect(checkpoint.status.status, checkpoint.status.message ?? "").toBe("ready");
    expect(checkpoint.status.fileCount).toBe(MANY);
    expect(sorted(await filesOf(checkpoint.metadata.id))).toEqual(manifest(many));
    const log = await logOf(checkpoint.metadata.id);
    expect(log.map((l) => l.message)).toContain(
      "Listing with ListObjects (v1): the server failed ListObjectsV2 (InternalError: We encountered an internal error. Please try again.).",
    );
    expect(log.map((l) => l.message)).toContain(`Found ${MANY} objects under s3://${BUCKET}/many/.`);
    expectOneAttempt(log);
    // Two thousand files' manifest rows and log lines: slow on a busy machine's PGlite.
  }, 120_000);

  const context = (options: Record<string, string>, log: string[]): SourceContext => ({
    uri: `s3://${BUCKET}/many/`,
    options,
    connection: { name: "s3rver-flaky", provider: "s3", config: { endpoint: proxy.endpoint }, secret: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } },
    scratchDir: suite.dataDir,
    signal: new AbortController().signal,
    log: async (message) => void log.push(message),
  });

  it('lists with ListObjects (v1) alone when listVersion is "1"', async () => {
    proxy.requests.length = 0;
    const log: string[] = [];
    const listing = await s3Source.list(context({ listVersion: "1" }, log));
    if (listing.kind !== "tree") throw new Error("expected a tree");
    expect(listing.files.map((f) => ({ path: f.path, size: f.size }))).toEqual([...many].map(([path, body]) => ({ path, size: body.length })));
    for (const file of [listing.files[0], listing.files[1_000], listing.files.at(-1)]) {
      if (!file) throw new Error("a file is missing");
      expect(await sha256Of(await file.open()), file.path).toBe(sha256(many.get(file.path) ?? ""));
    }
    const lists = proxy.requests.filter((r) => r.startsWith(`GET /${BUCKET}?`) || r.startsWith(`GET /${BUCKET}/?`));
    // Two pages of 1,000 keys, the second after the first page's last key; not one ListObjectsV2.
    expect(lists).toHaveLength(2);
    expect(lists.some((r) => r.includes("list-type=2"))).toBe(false);
    expect(lists[1]).toContain(`marker=many%2Fshard-00999.bin`);
    expect(log).toEqual(["Listing with ListObjects (v1), as the source options ask.", `Found ${MANY} objects under s3://${BUCKET}/many/.`]);
  });

  it('with listVersion "2" a failing ListObjectsV2 is not hidden (the ingest retries it), and an unknown listVersion is refused', async () => {
    const log: string[] = [];
    const failed = await s3Source.list(context({ listVersion: "2" }, log)).then(
      () => null,
      (error: unknown) => error,
    );
    expect(failed).toBeInstanceOf(Error);
    expect(failed).not.toBeInstanceOf(PermanentSourceError);
    expect((failed as Error).message).toBe("We encountered an internal error. Please try again.");
    expect(log).toEqual([]);

    const refused = await s3Source.list(context({ listVersion: "3" }, log)).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(PermanentSourceError);
    expect((refused as Error).message).toBe('The source option listVersion must be auto, 2, 1 (it is "3"). Choose one, or leave it empty for auto.');
  });

  it("retries an object whose GETs fail (500s, a reset half-way) for that object alone, without restarting the ingest", async () => {
    proxy.gets.length = 0;
    const checkpoint = await ingestOnce("flaky", `s3://${BUCKET}/flaky/`, "s3rver-flaky");
    expect(checkpoint.status.status, checkpoint.status.message ?? "").toBe("ready");
    expect(sorted(await filesOf(checkpoint.metadata.id))).toEqual(manifest(flaky));

    const getsOf = (key: string) => proxy.gets.filter((g) => g.key === key);
    // Two 500s, then the object: the SDK's own retries.
    expect(getsOf("twice-500.bin").map((g) => g.answer)).toEqual(["500", "500", "pass"]);
    // The reset: read again from the first byte not yet received, not from the start.
    const cut = getsOf("cut-midway.bin");
    expect(cut.map((g) => g.answer)).toEqual(["cut", "pass"]);
    expect(cut[0]?.range).toBeNull();
    expect(cut[1]?.range).toMatch(/^bytes=\d+-199999$/);
    const resumedAt = Number(/^bytes=(\d+)-/.exec(cut[1]?.range ?? "")?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(100_000);
    // Six 500s: five within the SDK, then one more try of the object, whose second request passes.
    expect(getsOf("past-sdk-retries.bin").map((g) => g.answer)).toEqual(["500", "500", "500", "500", "500", "500", "pass"]);
    // Every steady object was read once: nothing was fetched again by a restart.
    for (const name of flaky.keys()) if (!failures[name]) expect(getsOf(name), name).toHaveLength(1);

    const log = await logOf(checkpoint.metadata.id);
    expectOneAttempt(log);
    const retries = log.filter((l) => l.message.startsWith("Reading ")).map((l) => l.message);
    expect(retries).toHaveLength(2);
    expect(retries).toContainEqual(
      expect.stringMatching(new RegExp(`^Reading s3://${BUCKET}/flaky/cut-midway\\.bin failed \\(.+\\); trying again in 0\\.4 s from byte ${resumedAt} \\(attempt 2 of 3\\)\\.$`)),
    );
    expect(retries).toContainEqual(
      `Reading s3://${BUCKET}/flaky/past-sdk-retries.bin failed (We encountered an internal error. Please try again.); trying again in 0.4 s from byte 0 (attempt 2 of 3).`,
    );
  });
});
