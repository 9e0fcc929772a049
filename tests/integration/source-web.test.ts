import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { FileSystem, FtpSrv } from "ftp-srv";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { guardedAgents } from "@/lib/net/agents";
import { ALLOW_ENV } from "@/lib/net/guard";
import { passiveDataHost } from "@/lib/sources/web/ftp";
import { httpGetStream } from "@/lib/sources/web/http-fetch";
import { PermanentSourceError, type SourceContext, type SourceFile, type SourceListing } from "@/lib/sources/types";
import { downloadRanges } from "@/lib/sources/ranged-stream";
import { createWebSource } from "@/lib/sources/web/adapter";
import { FsBlobStore } from "@/lib/storage/fs-store";
import { sha256, sha256Of } from "../helpers/files";

const KiB = 1024;
const source = createWebSource({
  retry: { attempts: 4, baseDelayMs: 5, maxDelayMs: 50, timeoutMs: 5_000 },
  parallel: { minSize: 2048 * KiB, partSize: 256 * KiB, streamPartSize: 256 * KiB, concurrency: 4 },
});
const originalAllow = process.env[ALLOW_ENV];

const bytes = { model: randomBytes(700 * KiB), drop: randomBytes(600 * KiB), big: randomBytes(3 * 1024 * KiB + 7) };

function context(uri: string): SourceContext {
  return { uri, options: {}, connection: null, scratchDir: os.tmpdir(), signal: new AbortController().signal, log: async () => {} };
}

async function list(uri: string): Promise<SourceListing> {
  return source.list(context(uri));
}

/** Reads a file fully and hashes it; rejects with the error from open() or from the stream. */
async function fetchHash(file: SourceFile): Promise<string> {
  return sha256Of(await file.open());
}

async function single(uri: string) {
  const listing = await list(uri);
  if (listing.kind !== "single") throw new Error(`expected one file, got ${listing.kind}`);
  return listing;
}

const failureOf = (work: Promise<unknown>) => work.then(
  () => {
    throw new Error("expected a failure");
  },
  (error: unknown) => error as Error,
);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/* ---------------------------------------------------------------- HTTP peers */

const hits = new Map<string, number>();
const rangeRequests: { path: string; range?: string; ifRange?: string }[] = [];
let activeRanges = 0;
let maxActiveRanges = 0;
let other: { server: http.Server; port: number; connections: number; authorization: (string | undefined)[] };
let base = "";
let port = 0;
let mainConnections = 0;
const servers: http.Server[] = [];

/** Serves `body` with ETag, Accept-Ranges, single byte ranges and If-Range, like a static file server. */
function serve(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, extra: http.OutgoingHttpHeaders = {}) {
  const etag = `"${sha256(body).slice(0, 16)}"`;
  const headers = { etag, "accept-ranges": "bytes", "content-type": "application/octet-stream", ...extra };
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
  if (range && (!req.headers["if-range"] || req.headers["if-range"] === etag)) {
    const start = Number(range[1]);
    const end = range[2] ? Math.min(Number(range[2]), body.length - 1) : body.length - 1;
    res.writeHead(206, { ...headers, "content-length": end - start + 1, "content-range": `bytes ${start}-${end}/${body.length}` });
    return res.end(req.method === "HEAD" ? undefined : body.subarray(start, end + 1));
  }
  res.writeHead(200, { ...headers, "content-length": body.length });
  res.end(req.method === "HEAD" ? undefined : body);
}

/** Sends the headers and `cut` bytes of a full answer, then drops the connection. */
function dropMidBody(res: http.ServerResponse, body: Buffer, cut: number) {
  res.writeHead(200, { etag: `"${sha256(body).slice(0, 16)}"`, "accept-ranges": "bytes", "content-length": body.length });
  res.write(body.subarray(0, cut), () => setTimeout(() => res.socket?.destroy(), 10));
}

function route(req: http.IncomingMessage, res: http.ServerResponse) {
  const url = new URL(req.url ?? "/", base);
  const key = url.pathname + url.search;
  const count = (hits.get(key) ?? 0) + 1;
  hits.set(key, count);
  const redirect = (location: string, status = 302) => res.writeHead(status, { location }).end();
  const hop = /^\/hop(\d+)\/(.+)$/.exec(url.pathname);
  if (hop) return redirect(Number(hop[1]) > 1 ? `/hop${Number(hop[1]) - 1}/${hop[2]}` : "/model.tar.gz");
  if (req.headers.range) rangeRequests.push({ path: url.pathname, range: req.headers.range, ifRange: req.headers["if-range"] as string | undefined });
  switch (url.pathname) {
    case "/model.tar.gz":
      return serve(req, res, bytes.model);
    case "/download":
      return serve(req, res, bytes.model, { "content-disposition": `attachment; filename="ckpt-7.tar.gz"` });
    case "/no-head.bin":
      if (req.method === "HEAD") return res.writeHead(405).end();
      return serve(req, res, bytes.model);
    case "/flaky.bin":
      if (count <= 2) return res.writeHead(503, { "retry-after": "0" }).end("busy");
      return serve(req, res, bytes.model);
    case "/rate-limited.bin":
      if (count === 1) return res.writeHead(429, { "retry-after": "0" }).end();
      return serve(req, res, bytes.model);
    case "/hang-up-once.bin":
      if (count === 1) return req.socket.destroy();
      return serve(req, res, bytes.model);
    case "/always-503.bin":
      return res.writeHead(503).end();
    case "/drop.bin":
      if (req.method === "GET" && !req.headers.range) return dropMidBody(res, bytes.drop, 200 * KiB);
      return serve(req, res, bytes.drop);
    case "/drop-no-range.bin":
      if (req.method === "GET" && !req.headers.range) return dropMidBody(res, bytes.drop, 200 * KiB);
      res.writeHead(200, { "content-length": bytes.drop.length });
      return res.end(req.method === "HEAD" ? undefined : bytes.drop);
    case "/big.bin": {
      const ranged = Boolean(req.headers.range);
      if (ranged) maxActiveRanges = Math.max(maxActiveRanges, ++activeRanges);
      res.on("close", () => ranged && activeRanges--);
      // One range breaks halfway the first time; it must resume inside the range.
      if (req.headers.range === `bytes=${512 * KiB}-${768 * KiB - 1}`) {
        res.writeHead(206, { "content-length": 256 * KiB, "content-range": `bytes ${512 * KiB}-${768 * KiB - 1}/${bytes.big.length}` });
        return res.write(bytes.big.subarray(512 * KiB, 640 * KiB), () => setTimeout(() => res.socket?.destroy(), 10));
      }
      return setTimeout(() => serve(req, res, bytes.big), 5);
    }
    case "/missing.bin":
      return res.writeHead(404).end("no");
    case "/secret.bin":
      return res.writeHead(403).end("no");
    case "/loop":
      return redirect("/loop");
    case "/to-ftp":
      return redirect(`ftp://127.0.0.1:${port}/model.tar.gz`);
    case "/to-other-port":
      return redirect(`http://127.0.0.1:${other.port}/model.tar.gz`, 307);
    case "/to-127-0-0-2":
      return redirect(`http://127.0.0.2:${other.port}/model.tar.gz`);
    case "/to-metadata":
      return redirect("http://169.254.169.254/latest/meta-data/iam/security-credentials/");
    default:
      res.writeHead(404).end();
  }
}

function listen(server: http.Server, host: string) {
  return new Promise<number>((resolve) => server.listen(0, host, () => resolve((server.address() as AddressInfo).port)));
}

beforeAll(async () => {
  const main = http.createServer(route);
  main.on("connection", () => mainConnections++);
  port = await listen(main, "127.0.0.1");
  base = `http://127.0.0.1:${port}`;
  // On every address, so a redirect to 127.0.0.2 that slipped through would land here and be counted.
  const otherServer = http.createServer((req, res) => {
    other.authorization.push(req.headers.authorization);
    serve(req, res, bytes.model);
  });
  other = { server: otherServer, port: 0, connections: 0, authorization: [] };
  otherServer.on("connection", () => other.connections++);
  other.port = await listen(otherServer, "0.0.0.0");
  servers.push(main, otherServer);
});

afterAll(async () => {
  guardedAgents().http.destroy();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  if (originalAllow === undefined) delete process.env[ALLOW_ENV];
  else process.env[ALLOW_ENV] = originalAllow;
});

beforeEach(() => {
  process.env[ALLOW_ENV] = "127.0.0.1/32";
});

describe("web source over HTTP", () => {
  it("lists one file with its size and streams exactly the served bytes", async () => {
    const { file, name } = await single(`${base}/model.tar.gz`);
    expect(name).toBe("model.tar.gz");
    expect(file.path).toBe("model.tar.gz");
    expect(file.size).toBe(bytes.model.length);
    expect(await fetchHash(file)).toBe(sha256(bytes.model));
  });

  it("follows a redirect chain and names the file after the URL given", async () => {
    const { file, name } = await single(`${base}/hop3/weights.bin`);
    expect(name).toBe("weights.bin");
    expect(file.size).toBe(bytes.model.length);
    expect(await fetchHash(file)).toBe(sha256(bytes.model));
  });

  it("takes the name from Content-Disposition when the server gives one", async () => {
    const { name } = await single(`${base}/download?id=7`);
    expect(name).toBe("ckpt-7.tar.gz");
  });

  it("falls back to GET for the size when HEAD is refused", async () => {
    const { file } = await single(`${base}/no-head.bin`);
    expect(file.size).toBe(bytes.model.length);
    expect(await fetchHash(file)).toBe(sha256(bytes.model));
  });

  it("retries 503 and 429 answers, then succeeds", async () => {
    const flaky = await single(`${base}/flaky.bin`);
    expect(await fetchHash(flaky.file)).toBe(sha256(bytes.model));
    expect(hits.get("/flaky.bin")).toBe(4);
    const limited = await single(`${base}/rate-limited.bin`);
    expect(await fetchHash(limited.file)).toBe(sha256(bytes.model));
  });

  it("retries a connection that hangs up before answering", async () => {
    const { file } = await single(`${base}/hang-up-once.bin`);
    expect(await fetchHash(file)).toBe(sha256(bytes.model));
    expect(hits.get("/hang-up-once.bin")).toBe(3);
  });

  it("stops a download at once when the ingest is aborted", async () => {
    const controller = new AbortController();
    const { file } = await single(`${base}/model.tar.gz`);
    const chunks = (await file.open({ signal: controller.signal }))[Symbol.asyncIterator]();
    await chunks.next();
    controller.abort();
    await expect(chunks.next()).rejects.toThrow(/abort/i);
  });

  it("gives up on a server that keeps failing, as a retryable error", async () => {
    const error = await failureOf(list(`${base}/always-503.bin`));
    expect(error).not.toBeInstanceOf(PermanentSourceError);
    expect(error.message).toMatch(/answered 503 Service Unavailable\. Gave up after 4 attempts\./);
    expect(hits.get("/always-503.bin")).toBe(4);
  });

  it("resumes a dropped connection with Range and If-Range, bytes identical", async () => {
    const { file } = await single(`${base}/drop.bin`);
    expect(await fetchHash(file)).toBe(sha256(bytes.drop));
    const resume = rangeRequests.find((r) => r.path === "/drop.bin");
    expect(resume?.range).toMatch(/^bytes=\d+-$/);
    const offset = Number(/=(\d+)-/.exec(resume?.range ?? "")?.[1]);
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThanOrEqual(200 * KiB);
    expect(resume?.ifRange).toBe(`"${sha256(bytes.drop).slice(0, 16)}"`);
  });

  it("fails instead of corrupting the file when the server ignores Range after a drop", async () => {
    const { file } = await single(`${base}/drop-no-range.bin`);
    const error = await failureOf(fetchHash(file));
    expect(error.message).toContain("did not continue the interrupted download");
  });

  it("fetches a large object as parallel ranges, at most 4 at a time, stitched in order", async () => {
    const { file } = await single(`${base}/big.bin`);
    expect(await fetchHash(file)).toBe(sha256(bytes.big));
    const ranges = rangeRequests.filter((r) => r.path === "/big.bin");
    expect(ranges.length).toBeGreaterThanOrEqual(Math.ceil(bytes.big.length / (256 * KiB)));
    expect(ranges.every((r) => r.ifRange === `"${sha256(bytes.big).slice(0, 16)}"`)).toBe(true);
    // The range that broke was continued from inside itself, not refetched whole.
    const resumedInside = ranges.map((r) => /^bytes=(\d+)-(\d+)$/.exec(r.range ?? "")).filter((m) => m && Number(m[2]) === 768 * KiB - 1 && Number(m[1]) > 512 * KiB);
    expect(resumedInside).toHaveLength(1);
    expect(maxActiveRanges).toBeGreaterThan(1);
    expect(maxActiveRanges).toBeLessThanOrEqual(4);
  });

  it("downloads a large object's ranges straight into a blob file, each at its offset, the broken one continued", async () => {
    const { file } = await single(`${base}/big.bin`);
    if (!file.ranges) throw new Error("a large object on a host with Range and a validator offers its ranges");
    const before = rangeRequests.length;
    const root = await mkdtemp(path.join(os.tmpdir(), "cairn-web-ranges-"));
    try {
      const store = new FsBlobStore(root);
      const target = await store.openPositional(bytes.big.length);
      await downloadRanges(file.ranges, target);
      const { blob, durable } = await target.finish();
      await durable;
      expect(blob).toEqual({ sha256: sha256(bytes.big), size: bytes.big.length });
      expect(await store.has(sha256(bytes.big))).toBe(true);
      const ranges = rangeRequests.slice(before).filter((r) => r.path === "/big.bin");
      expect(ranges.every((r) => r.ifRange === `"${sha256(bytes.big).slice(0, 16)}"`)).toBe(true);
      expect(ranges.length).toBeGreaterThan(Math.ceil(bytes.big.length / (256 * KiB)));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it.each([
    ["/missing.bin", "answered 404 Not Found. Check the URL."],
    ["/secret.bin", "answered 403 Forbidden."],
    ["/loop", "redirected more than 10 times"],
    ["/to-ftp", "only redirects to http:// and https:// are followed"],
  ])("fails %s at once with a sentence a person can act on", async (pathname, sentence) => {
    const before = hits.get(pathname) ?? 0;
    const error = await failureOf(list(`${base}${pathname}`));
    expect(error).toBeInstanceOf(PermanentSourceError);
    expect(error.message).toContain(sentence);
    // No retries: one HEAD, plus one GET where HEAD may merely be disallowed (403).
    if (pathname !== "/loop") expect((hits.get(pathname) ?? 0) - before).toBe(pathname === "/secret.bin" ? 2 : 1);
  });

  it("refuses a URL ending in / because HTTP cannot list a directory", async () => {
    const error = await failureOf(list(`${base}/models/`));
    expect(error).toBeInstanceOf(PermanentSourceError);
    expect(error.message).toMatch(/HTTP cannot list a directory\. Give the URL of one file/);
  });

  it("refuses what is not a web URL", async () => {
    await expect(list("not a url")).rejects.toBeInstanceOf(PermanentSourceError);
    await expect(list("file:///etc/passwd")).rejects.toThrow(/not a web URL/);
  });
});

describe("web source over HTTP: outbound address guard", () => {
  it("follows a redirect to another allowed port, dropping credentials across origins", async () => {
    const { body } = await httpGetStream(`${base}/to-other-port`, { headers: { authorization: "Bearer secret" } });
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(bytes.model));
    expect(other.authorization.at(-1)).toBeUndefined();
  });

  it("refuses a redirect to 127.0.0.2 when only 127.0.0.1/32 is allowed, without dialling it", async () => {
    const before = other.connections;
    const error = await failureOf(list(`${base}/to-127-0-0-2`));
    expect(error).toBeInstanceOf(PermanentSourceError);
    expect(error.message).toContain("127.0.0.2");
    expect(error.message).toContain(ALLOW_ENV);
    expect(other.connections).toBe(before);

    process.env[ALLOW_ENV] = "127.0.0.1/32,127.0.0.2/32";
    const { file } = await single(`${base}/to-127-0-0-2`);
    expect(await fetchHash(file)).toBe(sha256(bytes.model));
    expect(other.connections).toBeGreaterThan(before);
  });

  it("refuses a redirect to the cloud metadata address", async () => {
    const error = await failureOf(list(`${base}/to-metadata`));
    expect(error).toBeInstanceOf(PermanentSourceError);
    expect(error.message).toContain("169.254.169.254");
    expect(error.message).toContain(ALLOW_ENV);
  });

  it("refuses localhost (and the loopback literal) when nothing is allowlisted, without dialling", async () => {
    delete process.env[ALLOW_ENV];
    const before = mainConnections;
    for (const host of ["localhost", "127.0.0.1", "[::ffff:127.0.0.1]"]) {
      const error = await failureOf(list(`http://${host}:${port}/model.tar.gz`));
      expect(error).toBeInstanceOf(PermanentSourceError);
      expect(error.message).toContain(ALLOW_ENV);
    }
    expect(mainConnections).toBe(before);
  });

  it("judges every new connection: a file listed while allowed is refused once the allowlist changes", async () => {
    const { file } = await single(`${base}/model.tar.gz`);
    guardedAgents().http.destroy(); // no pooled socket: the next request dials again
    process.env[ALLOW_ENV] = "10.0.0.0/8";
    const error = await failureOf(fetchHash(file));
    expect(error).toBeInstanceOf(PermanentSourceError);
    expect(error.message).toContain(ALLOW_ENV);
  });
});

/* ---------------------------------------------------------------- FTP peers */

type Ftp = { server: FtpSrv; url: string; connections: number };
const quietLog = { child: () => quietLog, trace() {}, debug() {}, info() {}, warn() {}, error() {}, fatal() {} };
const ftpFiles: Record<string, Buffer> = {
  "models/run1/config.json": Buffer.from('{"hidden_size": 4096}\n'),
  "models/run1/weights/part-0.bin": randomBytes(300 * KiB),
  "models/run1/weights/part-1.bin": randomBytes(200 * KiB),
  "models/run1/tokenizer/vocab with space.txt": Buffer.from("a\nb\nc\n"),
  "models/archive.tar.gz": randomBytes(400 * KiB),
  "models/flaky.bin": randomBytes(500 * KiB),
};
const ftpReads: { file: string; start: number }[] = [];
let ftpRoot = "";
let pasvAnswer = "127.0.0.1";
let plain: Ftp;
let pasvOnly: Ftp;

/** Serves files from ftpRoot; the first read of flaky.bin breaks after 100 KiB, like a dropped data connection. */
class RecordingFs extends FileSystem {
  async read(fileName: string, options: { start?: number } = {}) {
    const result = (await super.read(fileName, options)) as { stream: Readable; clientPath: string };
    const start = Number(options.start ?? 0);
    ftpReads.push({ file: fileName, start });
    if (!fileName.endsWith("flaky.bin") || ftpReads.filter((r) => r.file === fileName).length > 1) return result;
    result.stream.destroy();
    const broken = new Readable({ read() {} });
    broken.push(ftpFiles["models/flaky.bin"].subarray(0, 100 * KiB));
    setTimeout(() => broken.destroy(new Error("disk hiccup")), 20);
    return { stream: broken, clientPath: result.clientPath };
  }
}

async function startFtp(options: { pasv?: boolean } = {}): Promise<Ftp> {
  const ftpPort = await freePort();
  const server = new FtpSrv({
    url: `ftp://127.0.0.1:${ftpPort}`,
    // ftp-srv answers PASV with the client's own address when it is local; a function overrides that.
    pasv_url: (options.pasv ? () => pasvAnswer : "127.0.0.1") as unknown as string,
    pasv_min: 20000,
    anonymous: true,
    blacklist: options.pasv ? ["EPSV"] : [],
    log: quietLog,
  });
  const ftp: Ftp = { server, url: `ftp://127.0.0.1:${ftpPort}`, connections: 0 };
  server.on("login", ({ connection, username, password }, resolve, reject) => {
    ftp.connections++;
    if (username === "alice" && password !== "s3cret") return reject(new Error("Bad password"));
    resolve({ fs: new RecordingFs(connection, { root: ftpRoot, cwd: "/" }) });
  });
  await server.listen();
  return ftp;
}

describe("web source over FTP", () => {
  beforeAll(async () => {
    ftpRoot = await mkdtemp(path.join(os.tmpdir(), "cairn-ftp-"));
    for (const [name, content] of Object.entries(ftpFiles)) {
      await mkdir(path.dirname(path.join(ftpRoot, name)), { recursive: true });
      await writeFile(path.join(ftpRoot, name), content);
    }
    await mkdir(path.join(ftpRoot, "models/run1/empty"), { recursive: true });
    await mkdir(path.join(ftpRoot, "empty"), { recursive: true });
    plain = await startFtp();
    pasvOnly = await startFtp({ pasv: true });
  });

  afterAll(async () => {
    await Promise.all([plain?.server.close(), pasvOnly?.server.close()]);
    if (ftpRoot) await rm(ftpRoot, { recursive: true, force: true });
  });

  afterEach(() => {
    pasvAnswer = "127.0.0.1";
  });

  it("syncs the whole tree below a path ending in /, recursively", async () => {
    const listing = await list(`${plain.url}/models/run1/`);
    if (listing.kind !== "tree") throw new Error("expected a tree");
    const byPath = new Map(listing.files.map((f) => [f.path, f]));
    expect([...byPath.keys()].sort()).toEqual(["config.json", "tokenizer/vocab with space.txt", "weights/part-0.bin", "weights/part-1.bin"]);
    for (const [rel, file] of byPath) {
      const served = ftpFiles[`models/run1/${rel}`];
      expect(file.size).toBe(served.length);
      expect(await fetchHash(file)).toBe(sha256(served));
    }
  });

  it("returns a single file with its name and size", async () => {
    const { file, name } = await single(`${plain.url}/models/archive.tar.gz`);
    expect(name).toBe("archive.tar.gz");
    expect(file.size).toBe(ftpFiles["models/archive.tar.gz"].length);
    expect(await fetchHash(file)).toBe(sha256(ftpFiles["models/archive.tar.gz"]));
  });

  it("resumes a broken transfer with REST, bytes identical", async () => {
    const { file } = await single(`${plain.url}/models/flaky.bin`);
    expect(await fetchHash(file)).toBe(sha256(ftpFiles["models/flaky.bin"]));
    const restarts = ftpReads.filter((r) => r.file.endsWith("flaky.bin") && r.start > 0);
    expect(restarts.length).toBe(1);
  });

  it("logs in with the URL's credentials and refuses wrong ones at once", async () => {
    const host = plain.url.replace("ftp://", "");
    const { file } = await single(`ftp://alice:s3cret@${host}/models/archive.tar.gz`);
    expect(await fetchHash(file)).toBe(sha256(ftpFiles["models/archive.tar.gz"]));
    const error = await failureOf(list(`ftp://alice:wrong@${host}/models/archive.tar.gz`));
    expect(error).toBeInstanceOf(PermanentSourceError);
    expect(error.message).toContain("refused the login");
    expect(error.message).not.toContain("wrong");
  });

  it.each([
    ["/models/nope.bin", "was not found"],
    ["/models/run1", "is a directory. End the URL with /"],
    ["/empty/", "has no files below it"],
  ])("fails %s permanently with a sentence a person can act on", async (pathname, sentence) => {
    const error = await failureOf(list(`${plain.url}${pathname}`));
    expect(error).toBeInstanceOf(PermanentSourceError);
    expect(error.message).toContain(sentence);
  });

  it("refuses the control connection to a loopback server when nothing is allowlisted", async () => {
    delete process.env[ALLOW_ENV];
    const before = plain.connections;
    const error = await failureOf(list(`${plain.url}/models/archive.tar.gz`));
    expect(error).toBeInstanceOf(PermanentSourceError);
    expect(error.message).toContain(ALLOW_ENV);
    expect(plain.connections).toBe(before);
  });

  it("uses PASV when EPSV is refused, to the control address", async () => {
    const { file } = await single(`${pasvOnly.url}/models/archive.tar.gz`);
    expect(await fetchHash(file)).toBe(sha256(ftpFiles["models/archive.tar.gz"]));
  });

  it.each(["127.0.0.2", "10.0.0.1", "169.254.169.254"])("refuses a PASV answer pointing at %s, naming the variable", async (address) => {
    pasvAnswer = address;
    const { file } = await single(`${pasvOnly.url}/models/archive.tar.gz`);
    const download = await failureOf(fetchHash(file));
    expect(download).toBeInstanceOf(PermanentSourceError);
    expect(download.message).toContain(address);
    expect(download.message).toContain(ALLOW_ENV);
    const tree = await failureOf(list(`${pasvOnly.url}/models/run1/`));
    expect(tree).toBeInstanceOf(PermanentSourceError);
    expect(tree.message).toContain(ALLOW_ENV);
  });

  it("refuses a PASV answer pointing at another allowed host", async () => {
    process.env[ALLOW_ENV] = "127.0.0.0/8";
    pasvAnswer = "127.0.0.2";
    const { file } = await single(`${pasvOnly.url}/models/archive.tar.gz`);
    const error = await failureOf(fetchHash(file));
    expect(error).toBeInstanceOf(PermanentSourceError);
    expect(error.message).toContain("another host (127.0.0.2");
  });

  it("uses the control address for a private PASV answer from a public server (NAT), never the private one", () => {
    delete process.env[ALLOW_ENV];
    expect(passiveDataHost("93.184.216.34", "192.168.1.5")).toBe("93.184.216.34");
    expect(passiveDataHost("::ffff:93.184.216.34", "93.184.216.34")).toBe("::ffff:93.184.216.34");
    expect(() => passiveDataHost("93.184.216.34", "8.8.8.8")).toThrow(/another host/);
    expect(() => passiveDataHost("10.0.0.5", "10.0.0.6")).toThrow(ALLOW_ENV);
  });
});
