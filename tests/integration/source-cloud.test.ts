import { spawn } from "node:child_process";
import { createCipheriv, createHash } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import {
  BlobServiceClient,
  ContainerSASPermissions,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
  type ContainerClient,
} from "@azure/storage-blob";
import { pool as teenyRequestPool } from "teeny-request/build/src/agents";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ALLOW_ENV } from "@/lib/net/guard";
import { createAzureSource, azureSource, parseAzureUri } from "@/lib/sources/azure/adapter";
import { createGcsSource, gcsSource } from "@/lib/sources/gcs/adapter";
import { downloadRanges, rangedStream } from "@/lib/sources/ranged-stream";
import { createS3Source, s3Source } from "@/lib/sources/s3/adapter";
import { wasabiSource } from "@/lib/sources/wasabi/adapter";
import { FsBlobStore } from "@/lib/storage/fs-store";
import { BlobTooLargeError } from "@/lib/storage/types";
import { PermanentSourceError, type SourceConnection, type SourceContext, type SourceFile, type SourceListing } from "@/lib/sources/types";
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite } from "../helpers/azurite";
import { startGcsPeer } from "../helpers/gcs-peer";
import { sha256Of } from "../helpers/files";

/**
 * s3rver (via tests/helpers/s3.ts) in a child process: its ListObjectsV2 continuation tokens are
 * DES-encrypted, which Node's OpenSSL 3 only offers with the legacy provider, so paging through
 * an in-process s3rver fails with InternalError.
 */
async function startS3rverChild(buckets: string[]) {
  const helper = path.resolve(import.meta.dirname, "../helpers/s3.ts");
  const script = [
    // tsx loads the helper as CommonJS (the package is not "type": "module").
    `const helper = await import(${JSON.stringify(helper)});`,
    `const server = await (helper.startS3rver ?? helper.default.startS3rver)(${JSON.stringify(buckets)});`,
    `process.stdout.write(JSON.stringify({ endpoint: server.endpoint }) + "\\n");`,
    `process.once("SIGTERM", () => server.stop().finally(() => process.exit(0)));`,
  ].join("\n");
  const child = spawn(process.execPath, ["--openssl-legacy-provider", "--import", "tsx", "--input-type=module", "-e", script], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`s3rver did not start:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /\{"endpoint":"([^"]+)"\}/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => reject(new Error(`s3rver exited with ${code}:\n${output}`)));
  });
  return {
    endpoint,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}

const MiB = 1024 ** 2;
const LARGE = 64 * MiB + 12_345; // past the ranged threshold, and not a whole number of ranges
const BUCKET = "cairn-src";
const LOOPBACK = "127.0.0.1/32";

/** Deterministic pseudo-random bytes (AES-CTR keystream), generated a MiB at a time. */
function* pattern(size: number, seed: string): Generator<Buffer> {
  const cipher = createCipheriv("aes-256-ctr", createHash("sha256").update(seed).digest(), Buffer.alloc(16));
  const zeros = Buffer.alloc(MiB);
  for (let done = 0; done < size; done += MiB) yield cipher.update(zeros.subarray(0, Math.min(MiB, size - done)));
}
const sha256 = (data: Buffer | Iterable<Buffer>) => {
  const hash = createHash("sha256");
  for (const chunk of Buffer.isBuffer(data) ? [data] : data) hash.update(chunk);
  return hash.digest("hex");
};

/** A pass-through HTTP proxy in front of a peer, recording each request line and its range header. */
async function startRecordingProxy(target: string) {
  const upstream = new URL(target);
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    const range = req.headers.range ?? req.headers["x-ms-range"];
    seen.push(`${req.method} ${req.url}${range ? ` ${String(range)}` : ""}`);
    const forward = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on("error", () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    seen,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function context(uri: string, connection: SourceConnection | null, options: Record<string, string> = {}): SourceContext {
  return { uri, options, connection, scratchDir: os.tmpdir(), signal: new AbortController().signal, log: async () => {} };
}

/** Every file of a listing, opened and hashed: path → sha256. */
async function hashes(listing: SourceListing): Promise<Map<string, string>> {
  const files: SourceFile[] = listing.kind === "tree" ? listing.files : [listing.file];
  const out = new Map<string, string>();
  for (const file of files) out.set(file.path, await sha256Of(await file.open()));
  return out;
}

async function permanentError(promise: Promise<unknown>): Promise<PermanentSourceError> {
  const error = await promise.then(
    () => new Error("expected a failure"),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PermanentSourceError);
  return error as PermanentSourceError;
}

/** The tree every provider is given: nested keys, a directory marker and a sibling outside the prefix. */
const TREE: Record<string, Buffer> = {
  "ckpt/config.json": Buffer.from('{"layers": 2}'),
  "ckpt/model/shard-1.bin": Buffer.concat([...pattern(300_000, "shard-1")]),
  "ckpt/model/deep/shard-2.bin": Buffer.from("second shard"),
  "ckpt/empty.txt": Buffer.alloc(0),
  "ckpt-other/not-mine.txt": Buffer.from("outside the prefix"),
};
for (let i = 0; i < 25; i++) TREE[`ckpt/pages/part-${String(i).padStart(2, "0")}.txt`] = Buffer.from(`part ${i}`);
const expectedTree = new Map(
  Object.entries(TREE)
    .filter(([key]) => key.startsWith("ckpt/"))
    .map(([key, data]) => [key.slice("ckpt/".length), sha256(data)]),
);

let s3: Awaited<ReturnType<typeof startS3rverChild>>;
let azurite: Awaited<ReturnType<typeof startAzurite>>;
let gcs: Awaited<ReturnType<typeof startGcsPeer>>;
let blobContainer: ContainerClient;
let s3Proxy: Awaited<ReturnType<typeof startRecordingProxy>>;
let azureProxy: Awaited<ReturnType<typeof startRecordingProxy>>;
const originalAllow = process.env[ALLOW_ENV];
const originalEmulator = process.env.STORAGE_EMULATOR_HOST;
const largeSha = sha256(pattern(LARGE, "large"));

const s3Connection = (endpoint?: string, secret = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" }): SourceConnection => ({
  name: "s3rver",
  provider: "s3",
  config: endpoint ? { endpoint } : {},
  secret,
});
const azureConnection = (secret: Record<string, string>): SourceConnection => ({ name: "azurite", provider: "azure", config: {}, secret });

beforeAll(async () => {
  delete process.env[ALLOW_ENV];
  // Settled one by one, so afterAll stops whatever started even when another peer failed to.
  const started = await Promise.allSettled([
    startS3rverChild([BUCKET, "empty-bucket"]).then((peer) => (s3 = peer)),
    startAzurite().then((peer) => (azurite = peer)),
    startGcsPeer().then((peer) => (gcs = peer)),
  ]);
  for (const result of started) if (result.status === "rejected") throw result.reason;
  [s3Proxy, azureProxy] = await Promise.all([startRecordingProxy(s3.endpoint), startRecordingProxy(`http://127.0.0.1:${azurite.port}`)]);

  // Fixtures go in with the SDKs' own clients, outside the guard.
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    requestChecksumCalculation: "WHEN_REQUIRED",
  });
  const many = Array.from({ length: 1_050 }, (_, i) => [`many/${String(i).padStart(4, "0")}.txt`, Buffer.from(`object ${i}`)] as const);
  const uploads = [...Object.entries(TREE), ["ckpt/marker/", Buffer.alloc(0)] as const, ...many];
  for (let i = 0; i < uploads.length; i += 50) {
    await Promise.all(uploads.slice(i, i + 50).map(([Key, Body]) => client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body }))));
  }
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "big/model.safetensors", Body: Readable.from(pattern(LARGE, "large")), ContentLength: LARGE }));
  client.destroy();

  const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
  blobContainer = service.getContainerClient("checkpoints");
  await blobContainer.create();
  for (const [name, data] of [...Object.entries(TREE), ["ckpt/marker/", Buffer.alloc(0)] as const]) await blobContainer.getBlockBlobClient(name).uploadData(data);
  await blobContainer.getBlockBlobClient("big/model.bin").uploadData(Buffer.concat([...pattern(3 * MiB + 7, "azure-large")]));

  for (const [name, data] of Object.entries(TREE)) gcs.put(BUCKET, name, data);
  gcs.put(BUCKET, "ckpt/marker/", Buffer.alloc(0));
  gcs.put(BUCKET, "big/model.safetensors", Buffer.concat([...pattern(LARGE, "large")]));
  gcs.createBucket("empty-bucket");
});

afterAll(async () => {
  await Promise.all([s3Proxy?.stop(), azureProxy?.stop()]);
  await Promise.all([s3?.stop(), azurite?.stop(), gcs?.stop()]);
  if (originalAllow === undefined) delete process.env[ALLOW_ENV];
  else process.env[ALLOW_ENV] = originalAllow;
  if (originalEmulator === undefined) delete process.env.STORAGE_EMULATOR_HOST;
  else process.env.STORAGE_EMULATOR_HOST = originalEmulator;
});

// First, while no guarded socket to the peers exists yet: keep-alive sockets opened under an
// allow-list would otherwise be reused after it is withdrawn.
describe("private endpoints are refused unless allowed", () => {
  beforeEach(() => {
    delete process.env[ALLOW_ENV];
  });
  afterEach(() => {
    delete process.env.STORAGE_EMULATOR_HOST;
  });

  // The bound only proves no retry back-off ran (the SDKs' would take well over it).
  const refusedQuickly = async (promise: Promise<unknown>) => {
    const started = Date.now();
    const error = await permanentError(promise);
    expect(error.message).toContain(ALLOW_ENV);
    expect(error.message).toMatch(/Refusing to connect to/);
    expect(Date.now() - started).toBeLessThan(4_000);
  };

  it("s3: an IP-literal endpoint from the connection, and a named one from the source options", async () => {
    await refusedQuickly(s3Source.list(context(`s3://${BUCKET}/ckpt/`, s3Connection(s3.endpoint))));
    const named = s3.endpoint.replace("127.0.0.1", "localhost");
    await refusedQuickly(s3Source.list(context(`s3://${BUCKET}/ckpt/config.json`, s3Connection(), { endpoint: named })));
    await refusedQuickly(wasabiSource.list(context(`s3://${BUCKET}/ckpt/`, s3Connection(), { endpoint: s3.endpoint })));
  });

  it("azure: Azurite on loopback", async () => {
    await refusedQuickly(azureSource.list(context(`${azurite.accountUrl}/checkpoints/ckpt/`, azureConnection({ accountKey: AZURITE_KEY }))));
    await refusedQuickly(azureSource.list(context(`${azurite.accountUrl}/checkpoints/ckpt/config.json`, null)));
  });

  it("gcs: an emulator host on loopback, and the pool every GCS request dials through", async () => {
    process.env.STORAGE_EMULATOR_HOST = gcs.endpoint;
    await refusedQuickly(gcsSource.list(context(`gs://${BUCKET}/ckpt/`, null)));
    expect(gcs.requests).toHaveLength(0);
    // The preflight above answers first; the agents the library's requests really use refuse too.
    for (const key of ["http:forever", "http"]) {
      const agent = teenyRequestPool.get(key);
      const error = await new Promise<unknown>((resolve) => http.get(`${gcs.endpoint}/b/${BUCKET}/o`, { agent }, () => resolve(null)).on("error", resolve));
      expect((error as { code?: string }).code).toBe("EBLOCKEDADDRESS");
    }
    expect(gcs.requests).toHaveLength(0);
  });
});

describe("s3 and wasabi against s3rver", () => {
  beforeEach(() => {
    process.env[ALLOW_ENV] = LOOPBACK;
  });

  it("lists a prefix as a tree, page by page, skipping directory markers, and streams every file", async () => {
    const listing = await createS3Source("s3", { pageSize: 7 }).list(context(`s3://${BUCKET}/ckpt/`, s3Connection(s3.endpoint)));
    expect(listing.kind).toBe("tree");
    expect(await hashes(listing)).toEqual(expectedTree);
  });

  it("pages through more than 1000 keys with S3's own page size", async () => {
    const listing = await s3Source.list(context(`s3://${BUCKET}/many/`, s3Connection(s3.endpoint)));
    if (listing.kind !== "tree") throw new Error("expected a tree");
    expect(listing.files).toHaveLength(1_050);
    expect(new Set(listing.files.map((f) => f.path)).size).toBe(1_050);
    expect(await sha256Of(await (listing.files.at(-1) as SourceFile).open())).toBe(sha256(Buffer.from("object 1049")));
  });

  it("reads a single key, and wasabi reaches the same store through an endpoint from the source options or the connection", async () => {
    const single = await s3Source.list(context(`s3://${BUCKET}/ckpt/model/shard-1.bin`, s3Connection(s3.endpoint)));
    expect(single).toMatchObject({ kind: "single", name: "shard-1.bin", file: { path: "shard-1.bin", size: 300_000 } });
    expect(await hashes(single)).toEqual(new Map([["shard-1.bin", sha256(TREE["ckpt/model/shard-1.bin"] as Buffer)]]));

    const viaOptions = await wasabiSource.list(context(`s3://${BUCKET}/ckpt/config.json`, s3Connection(), { endpoint: s3.endpoint }));
    const viaConnection = await wasabiSource.list(context(`s3://${BUCKET}/ckpt/`, s3Connection(s3.endpoint)));
    expect(await hashes(viaOptions)).toEqual(new Map([["config.json", expectedTree.get("config.json")]]));
    expect(await hashes(viaConnection)).toEqual(expectedTree);
  });

  it("fetches a large object as parallel ranges, byte for byte", async () => {
    const listing = await s3Source.list(context(`s3://${BUCKET}/big/model.safetensors`, s3Connection(s3Proxy.endpoint)));
    if (listing.kind !== "single") throw new Error("expected a single object");
    expect(listing.file.size).toBe(LARGE);
    expect(await sha256Of(await listing.file.open())).toBe(largeSha);
    const ranges = s3Proxy.seen.filter((r) => r.startsWith("GET /cairn-src/big/")).map((r) => r.split(" ").at(-1));
    expect(ranges).toEqual(["bytes=0-16777215", "bytes=16777216-33554431", "bytes=33554432-50331647", "bytes=50331648-67108863", `bytes=67108864-${LARGE - 1}`]);

    // The same ranges, each written at its offset into a blob file and hashed behind the writes.
    if (!listing.file.ranges) throw new Error("a large object offers its ranges");
    const store = new FsBlobStore(await mkdtemp(path.join(os.tmpdir(), "cairn-ranges-")));
    const target = await store.openPositional(LARGE);
    await downloadRanges(listing.file.ranges, target);
    const { blob, durable } = await target.finish();
    await durable;
    expect(blob).toEqual({ sha256: largeSha, size: LARGE });
    expect(await store.has(largeSha)).toBe(true);
  });

  it("explains missing keys, folders without their slash, missing buckets, empty prefixes and unknown access keys", async () => {
    const conn = s3Connection(s3.endpoint);
    expect((await permanentError(s3Source.list(context(`s3://${BUCKET}/ckpt/nope.bin`, conn)))).message).toBe(
      `s3://${BUCKET}/ckpt/nope.bin does not exist. Check the path.`,
    );
    expect((await permanentError(s3Source.list(context(`s3://${BUCKET}/ckpt/model`, conn)))).message).toContain(`end the path with a slash: s3://${BUCKET}/ckpt/model/`);
    expect((await permanentError(s3Source.list(context("s3://no-such-bucket/ckpt/", conn)))).message).toMatch(/bucket "no-such-bucket" .* does not exist/);
    expect((await permanentError(s3Source.list(context(`s3://${BUCKET}/nothing-here/`, conn)))).message).toMatch(/^Nothing was found under/);
    // s3rver checks the access key id but not SigV4 signatures, so only an unknown key can be tried.
    const unknownKey = s3Connection(s3.endpoint, { accessKeyId: "NOBODY", secretAccessKey: "wrong" });
    expect((await permanentError(s3Source.list(context(`s3://${BUCKET}/ckpt/config.json`, unknownKey)))).message).toMatch(/credentials/);
    expect((await permanentError(s3Source.list(context(`s3://${BUCKET}/ckpt/`, unknownKey)))).message).toBe(
      `The connection's credentials were rejected while reading s3://${BUCKET}/ckpt/ (the access key id is not known to the store). Check the connection's credentials.`,
    );
  });
});

describe("gcs against a JSON API peer", () => {
  beforeEach(() => {
    process.env[ALLOW_ENV] = LOOPBACK;
    process.env.STORAGE_EMULATOR_HOST = gcs.endpoint;
  });
  afterEach(() => {
    delete process.env.STORAGE_EMULATOR_HOST;
  });

  it("lists a prefix as a tree, page by page, and streams every file", async () => {
    gcs.requests.length = 0;
    const listing = await createGcsSource({ pageSize: 7 }).list(context(`gs://${BUCKET}/ckpt/`, null));
    expect(listing.kind).toBe("tree");
    expect(await hashes(listing)).toEqual(expectedTree);
    expect(gcs.requests.filter((r) => r.includes("pageToken=")).length).toBeGreaterThanOrEqual(4);
  });

  it("reads a single object, and a large one as parallel ranges pinned to its generation", async () => {
    const single = await gcsSource.list(context(`gs://${BUCKET}/ckpt/model/deep/shard-2.bin`, null));
    expect(single).toMatchObject({ kind: "single", name: "shard-2.bin" });
    expect(await hashes(single)).toEqual(new Map([["shard-2.bin", sha256(Buffer.from("second shard"))]]));

    gcs.requests.length = 0;
    const large = await gcsSource.list(context(`gs://${BUCKET}/big/model.safetensors`, null));
    if (large.kind !== "single") throw new Error("expected a single object");
    expect(await sha256Of(await large.file.open())).toBe(largeSha);
    const ranged = gcs.requests.filter((r) => r.includes("alt=media"));
    expect(ranged).toHaveLength(5);
    expect(ranged.every((r) => /generation=\d+/.test(r) && /bytes=\d+-\d+$/.test(r))).toBe(true);
  });

  it("explains missing objects, folders without their slash, missing buckets and empty prefixes", async () => {
    expect((await permanentError(gcsSource.list(context(`gs://${BUCKET}/ckpt/nope.bin`, null)))).message).toBe(
      `gs://${BUCKET}/ckpt/nope.bin does not exist. Check the path.`,
    );
    expect((await permanentError(gcsSource.list(context(`gs://${BUCKET}/ckpt/model`, null)))).message).toContain("end the path with a slash");
    expect((await permanentError(gcsSource.list(context("gs://no-such-bucket/ckpt/", null)))).message).toMatch(/bucket "no-such-bucket" .* does not exist/);
    expect((await permanentError(gcsSource.list(context("gs://empty-bucket/ckpt/", null)))).message).toMatch(/^Nothing was found under/);
  });

  it("refuses credentials that would make the auth library fetch arbitrary URLs", async () => {
    delete process.env.STORAGE_EMULATOR_HOST;
    const external = JSON.stringify({ type: "external_account", token_url: "http://169.254.169.254/", credential_source: { file: "/etc/passwd" } });
    const connection: SourceConnection = { name: "wif", provider: "gcs", config: {}, secret: { credentialsJson: external } };
    expect((await permanentError(gcsSource.list(context(`gs://${BUCKET}/ckpt/`, connection)))).message).toMatch(/service_account/);
  });
});

describe("azure against Azurite", () => {
  beforeEach(() => {
    process.env[ALLOW_ENV] = LOOPBACK;
  });

  it("parses host-style and path-style URLs", () => {
    expect(parseAzureUri("https://acct.blob.core.windows.net/ckpts/run%201/step-10/")).toMatchObject({
      account: "acct",
      container: "ckpts",
      containerUrl: "https://acct.blob.core.windows.net/ckpts",
      name: "run 1/step-10/",
    });
    expect(parseAzureUri(`${azurite.accountUrl}/checkpoints/ckpt/a.bin`)).toMatchObject({
      account: AZURITE_ACCOUNT,
      container: "checkpoints",
      containerUrl: `${azurite.accountUrl}/checkpoints`,
      name: "ckpt/a.bin",
    });
    expect(parseAzureUri("https://blobs.internal.example/acct/ckpts/a.bin", "https://blobs.internal.example/acct/")).toMatchObject({
      account: "acct",
      containerUrl: "https://blobs.internal.example/acct/ckpts",
      name: "a.bin",
    });
    expect(() => parseAzureUri("https://acct.blob.core.windows.net/Bad_Container/x")).toThrow(PermanentSourceError);
  });

  it("lists a prefix as a tree with an account key, page by page, and streams every file", async () => {
    const listing = await createAzureSource({ pageSize: 7 }).list(context(`${azurite.accountUrl}/checkpoints/ckpt/`, azureConnection({ accountKey: AZURITE_KEY })));
    expect(listing.kind).toBe("tree");
    expect(await hashes(listing)).toEqual(expectedTree);
  });

  it("reads single blobs with a connection string or a SAS token, and large ones as ranges", async () => {
    const viaString = await azureSource.list(context(`${azurite.accountUrl}/checkpoints/ckpt/config.json`, azureConnection({ connectionString: azurite.connectionString })));
    expect(await hashes(viaString)).toEqual(new Map([["config.json", expectedTree.get("config.json")]]));

    const sas = generateBlobSASQueryParameters(
      { containerName: "checkpoints", permissions: ContainerSASPermissions.parse("rl"), expiresOn: new Date(Date.now() + 3_600_000) },
      new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
    ).toString();
    const ranged = createAzureSource({ ranged: { threshold: MiB, rangeSize: 256 * 1024, concurrency: 3 } });
    const large = await ranged.list(context(`${azureProxy.endpoint}/${AZURITE_ACCOUNT}/checkpoints/big/model.bin`, azureConnection({ sasToken: sas })));
    expect(large).toMatchObject({ kind: "single", name: "model.bin", file: { size: 3 * MiB + 7 } });
    expect(await hashes(large)).toEqual(new Map([["model.bin", sha256(pattern(3 * MiB + 7, "azure-large"))]]));
    const ranges = azureProxy.seen.filter((r) => r.startsWith("GET ") && r.includes("/big/model.bin"));
    expect(ranges).toHaveLength(13);
    expect(ranges.every((r) => /sig=/.test(r) && /bytes=\d+-\d+$/.test(r))).toBe(true);
  });

  it("explains missing blobs, folders without their slash, missing containers and rejected keys", async () => {
    const conn = azureConnection({ accountKey: AZURITE_KEY });
    const missing = `${azurite.accountUrl}/checkpoints/ckpt/nope.bin`;
    expect((await permanentError(azureSource.list(context(missing, conn)))).message).toBe(`${missing} does not exist. Check the path.`);
    expect((await permanentError(azureSource.list(context(`${azurite.accountUrl}/checkpoints/ckpt/model`, conn)))).message).toContain("end the path with a slash");
    expect((await permanentError(azureSource.list(context(`${azurite.accountUrl}/no-such-container/ckpt/`, conn)))).message).toMatch(/container "no-such-container" .* does not exist/);
    expect((await permanentError(azureSource.list(context(`${azurite.accountUrl}/checkpoints/nothing/`, conn)))).message).toMatch(/^Nothing was found under/);
    const wrongKey = azureConnection({ accountKey: Buffer.from("not the key").toString("base64") });
    expect((await permanentError(azureSource.list(context(`${azurite.accountUrl}/checkpoints/ckpt/`, wrongKey)))).message).toMatch(/credentials/);
  });
});

describe("downloadRanges into a positional blob write", () => {
  const data = Buffer.concat([...pattern(1_000_003, "positional")]);
  const slice = (start: number, end: number) => Readable.from([data.subarray(start, end + 1)]);
  let root: string;
  let store: FsBlobStore;
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "cairn-positional-"));
    store = new FsBlobStore(root);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));
  const filesIn = async (dir: string) => (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);

  it("writes ranges finishing out of order at their offsets, continues a short one after its last byte, and hashes the whole", async () => {
    let inFlight = 0;
    let peak = 0;
    let broken = false;
    const asked: string[] = [];
    let reported = 0;
    const target = await store.openPositional(data.length);
    await downloadRanges(
      {
        size: data.length,
        rangeSize: 100_000,
        concurrency: 3,
        attempts: 3,
        async fetchRange(start, end) {
          asked.push(`${start}-${end}`);
          inFlight++;
          peak = Math.max(peak, inFlight);
          // Later ranges finish first, so the hash must wait for the gap before them.
          await new Promise((resolve) => setTimeout(resolve, 30 - ((start / 100_000) % 3) * 10));
          inFlight--;
          if (start === 300_000 && !broken) {
            broken = true;
            return slice(start, end - 10); // a short body, as after a connection reset
          }
          return slice(start, end);
        },
      },
      target,
      { onBytes: (n) => (reported += n) },
    );
    const { blob, durable } = await target.finish();
    await durable;
    expect(blob).toEqual({ sha256: sha256(data), size: data.length });
    expect(peak).toBeLessThanOrEqual(3);
    // The short body ended at byte 399989: the retry asks only for what is missing, nothing is written twice.
    expect(asked.filter((r) => r.endsWith("-399999"))).toEqual(["300000-399999", "399990-399999"]);
    expect(reported).toBe(data.length);
    expect(await filesIn(root)).toEqual([sha256(data)]);
  });

  it("fails with the permanent error, not the aborts it caused, when another lane's server ignores Range", async () => {
    const target = await store.openPositional(data.length);
    let reported = 0;
    const download = downloadRanges(
      {
        size: data.length,
        rangeSize: 100_000,
        concurrency: 3,
        attempts: 3,
        async fetchRange(start, end, signal) {
          if (start === 100_000) {
            await new Promise((resolve) => setTimeout(resolve, 20));
            return slice(0, data.length - 1); // the whole file: Range ignored
          }
          // The other lanes stall mid-body and must be stopped by the failure.
          const body = new Readable({ read() {} });
          body.push(data.subarray(start, start + 1000));
          signal.addEventListener("abort", () => body.destroy(new Error("aborted")), { once: true });
          void end;
          return body;
        },
      },
      target,
      { onBytes: (n) => (reported += n) },
    );
    await expect(download).rejects.toBeInstanceOf(PermanentSourceError);
    await target.abort();
    expect(reported).toBeGreaterThanOrEqual(0);
    expect(await filesIn(root)).toEqual([]);
  });

  it("fails at once on a server sending more than a range asked for, with no range left writing, and leaves nothing", async () => {
    let calls = 0;
    const target = await store.openPositional(data.length);
    const download = downloadRanges(
      {
        size: data.length,
        rangeSize: 100_000,
        concurrency: 4,
        attempts: 3,
        async fetchRange(start, end) {
          calls++;
          return start === 200_000 ? slice(0, data.length - 1) : slice(start, end);
        },
      },
      target,
    );
    await expect(download).rejects.toThrow(PermanentSourceError);
    await target.abort();
    expect(calls).toBeLessThanOrEqual(4 + 4);
    expect(await filesIn(root)).toEqual([]);
  });

  it("refuses to finish with a gap, and a size past the limit before writing anything", async () => {
    const target = await store.openPositional(300);
    await target.handle.write(data.subarray(200, 300), 0, 100, 200);
    target.written(200, 299);
    await target.handle.write(data.subarray(0, 100), 0, 100, 0);
    target.written(0, 99);
    await expect(target.finish()).rejects.toThrow("Only 100 of 300 bytes were written in order.");
    expect(await filesIn(root)).toEqual([]);
    await expect(store.openPositional(301, { maxBytes: 300 })).rejects.toBeInstanceOf(BlobTooLargeError);
    expect(await filesIn(root)).toEqual([]);
  });
});

describe("rangedStream", () => {
  const data = Buffer.concat([...pattern(1_000_003, "ranges")]);
  const slice = (start: number, end: number) => Readable.from([data.subarray(start, end + 1)]);

  it("emits ranges in order with bounded concurrency, retrying a broken range", async () => {
    let inFlight = 0;
    let peak = 0;
    let broken = false;
    const stream = rangedStream({
      size: data.length,
      rangeSize: 100_000,
      concurrency: 3,
      async fetchRange(start, end) {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5 + ((start / 100_000) % 3) * 5));
        inFlight--;
        if (start === 300_000 && !broken) {
          broken = true;
          return slice(start, end - 10); // a short body, as after a connection reset
        }
        return slice(start, end);
      },
    });
    expect(await sha256Of(stream)).toBe(sha256(data));
    expect(peak).toBeLessThanOrEqual(3);
    expect(broken).toBe(true);
  });

  it("fails at once on a permanent error, and aborts ranges in flight when destroyed", async () => {
    let calls = 0;
    const failing = rangedStream({
      size: data.length,
      rangeSize: 100_000,
      fetchRange: async () => {
        calls++;
        throw new PermanentSourceError("gone");
      },
    });
    await expect(sha256Of(failing)).rejects.toThrow("gone");
    expect(calls).toBeLessThanOrEqual(4);

    const signals: AbortSignal[] = [];
    const slow = rangedStream({
      size: data.length,
      rangeSize: 100_000,
      fetchRange: (_start, _end, signal) => {
        signals.push(signal);
        return new Promise<Readable>(() => {});
      },
    });
    slow.resume();
    await new Promise((resolve) => setTimeout(resolve, 20));
    slow.destroy();
    expect(signals.length).toBe(4);
    expect(signals.every((s) => s.aborted)).toBe(true);
  });
});
