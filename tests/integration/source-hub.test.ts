import { randomBytes } from "node:crypto";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { guardedAgents } from "@/lib/net/agents";
import { huggingfaceSource } from "@/lib/sources/huggingface/adapter";
import { kaggleSource } from "@/lib/sources/kaggle/adapter";
import { PermanentSourceError, type SourceConnection, type SourceContext, type SourceFile, type SourceListing } from "@/lib/sources/types";
import { startHfPeer, type HubFile } from "@/tests/helpers/hf-peer";
import { startKagglePeer } from "@/tests/helpers/kaggle-peer";
import { sha256, sha256Of } from "@/tests/helpers/files";


const digest = async (file: SourceFile): Promise<string> => sha256Of(await file.open());

function context(uri: string, opts: { options?: Record<string, string>; connection?: SourceConnection | null } = {}): SourceContext {
  return { uri, options: opts.options ?? {}, connection: opts.connection ?? null, scratchDir: "/nonexistent", signal: new AbortController().signal, log: async () => {} };
}

function tree(listing: SourceListing): SourceFile[] {
  if (listing.kind !== "tree") throw new Error(`expected a tree, got ${listing.kind}`);
  return listing.files;
}

/** Pooled keep-alive sockets were allowed when dialled; a guard test needs fresh ones. */
function withoutAllowList() {
  delete process.env.CAIRN_ALLOW_PRIVATE_SOURCES;
  guardedAgents().http.destroy();
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a failure");
}

let savedAllow: string | undefined;
beforeEach(() => {
  savedAllow = process.env.CAIRN_ALLOW_PRIVATE_SOURCES;
  process.env.CAIRN_ALLOW_PRIVATE_SOURCES = "127.0.0.1/32";
});
afterEach(() => {
  if (savedAllow === undefined) delete process.env.CAIRN_ALLOW_PRIVATE_SOURCES;
  else process.env.CAIRN_ALLOW_PRIVATE_SOURCES = savedAllow;
});

describe("huggingface source", () => {
  const mainFiles: HubFile[] = [
    { path: "README.md", content: Buffer.from("# tiny model\n") },
    { path: "configs/nested/params.json", content: Buffer.from('{"layers": 2}') },
    { path: "model.safetensors", content: randomBytes(300_000), lfs: true },
  ];
  const devFiles: HubFile[] = [{ path: "dev-only.txt", content: Buffer.from("dev branch") }];
  const featureFiles: HubFile[] = [{ path: "feature.bin", content: randomBytes(1000), lfs: true }];
  const privateFiles: HubFile[] = [{ path: "secret.bin", content: randomBytes(5000), lfs: true }];
  let peer: Awaited<ReturnType<typeof startHfPeer>>;
  let savedEndpoint: string | undefined;
  const token = (value: string): SourceConnection => ({ name: "hf", provider: "huggingface", config: {}, secret: { token: value } });

  beforeAll(async () => {
    peer = await startHfPeer({
      "acme/tiny": { branches: { main: mainFiles, dev: devFiles, "feature/x": featureFiles } },
      "acme/private": { token: "hf_secret", branches: { main: privateFiles } },
      "acme/gated": { token: "hf_secret", gated: true, branches: { main: privateFiles } },
    });
    savedEndpoint = process.env.HF_ENDPOINT;
    process.env.HF_ENDPOINT = peer.endpoint;
  });
  afterAll(async () => {
    if (savedEndpoint === undefined) delete process.env.HF_ENDPOINT;
    else process.env.HF_ENDPOINT = savedEndpoint;
    await peer.stop();
  });

  it("lists the whole repo at main as a tree, exposes LFS oids, and streams every file intact", async () => {
    const files = tree(await huggingfaceSource.list(context("acme/tiny")));
    expect(files.map((f) => f.path).sort()).toEqual(mainFiles.map((f) => f.path).sort());
    for (const expected of mainFiles) {
      const file = files.find((f) => f.path === expected.path);
      expect(file?.size).toBe(expected.content.length);
      expect(file?.sha256).toBe(expected.lfs ? sha256(expected.content) : undefined);
      expect(await digest(file as SourceFile)).toBe(sha256(expected.content));
    }
    // The tree came in pages through the Link header, at the commit main resolved to.
    const treeCalls = peer.requests.filter((r) => r.url.includes("/tree/"));
    expect(treeCalls.length).toBeGreaterThan(1);
    expect(treeCalls.every((r) => r.url.includes(`/tree/${peer.commitOf("acme/tiny", "main")}`))).toBe(true);
    expect(peer.requests.some((r) => r.server === "cdn")).toBe(true);
  });

  it("follows the branch option, and revision wins over branch", async () => {
    const dev = tree(await huggingfaceSource.list(context("acme/tiny", { options: { branch: "dev" } })));
    expect(dev.map((f) => f.path)).toEqual(["dev-only.txt"]);
    expect(await digest(dev[0])).toBe(sha256(devFiles[0].content));
    const feature = tree(await huggingfaceSource.list(context("acme/tiny", { options: { branch: "dev", revision: "feature/x" } })));
    expect(feature.map((f) => f.path)).toEqual(["feature.bin"]);
    expect(await digest(feature[0])).toBe(sha256(featureFiles[0].content));
  });

  it("reads a private repo with the connection's token, which never reaches the CDN", async () => {
    peer.requests.length = 0;
    const files = tree(await huggingfaceSource.list(context("acme/private", { connection: token("hf_secret") })));
    expect(files.map((f) => f.path)).toEqual(["secret.bin"]);
    expect(await digest(files[0])).toBe(sha256(privateFiles[0].content));
    expect(peer.requests.filter((r) => r.server === "hub").every((r) => r.authorization === "Bearer hf_secret")).toBe(true);
    const cdn = peer.requests.filter((r) => r.server === "cdn");
    expect(cdn.length).toBe(1);
    expect(cdn[0].authorization).toBeUndefined();
  });

  it("explains private, gated, refused-token and missing repos and revisions", async () => {
    const anonymous = await failure(huggingfaceSource.list(context("acme/private")));
    expect(anonymous).toBeInstanceOf(PermanentSourceError);
    expect(anonymous.message).toMatch(/acme\/private is private or gated.*add a Hugging Face token connection/);
    const wrong = await failure(huggingfaceSource.list(context("acme/private", { connection: token("hf_wrong") })));
    expect(wrong).toBeInstanceOf(PermanentSourceError);
    expect(wrong.message).toMatch(/refused the token/);
    const gated = await failure(huggingfaceSource.list(context("acme/gated", { connection: token("hf_other") })));
    expect(gated).toBeInstanceOf(PermanentSourceError);
    expect(gated.message).toMatch(/gated or restricted/);
    const missing = await failure(huggingfaceSource.list(context("acme/nope", { connection: token("hf_secret") })));
    expect(missing).toBeInstanceOf(PermanentSourceError);
    expect(missing.message).toMatch(/repo acme\/nope not found/);
    const revision = await failure(huggingfaceSource.list(context("acme/tiny", { options: { revision: "v9" } })));
    expect(revision).toBeInstanceOf(PermanentSourceError);
    expect(revision.message).toMatch(/Revision 'v9' not found/);
  });

  it("prefers the connection's endpoint over HF_ENDPOINT", async () => {
    process.env.HF_ENDPOINT = "http://127.0.0.1:9";
    try {
      const connection: SourceConnection = { name: "hf", provider: "huggingface", config: { endpoint: `${peer.endpoint}/` }, secret: {} };
      expect(tree(await huggingfaceSource.list(context("acme/tiny", { connection }))).length).toBe(3);
    } finally {
      process.env.HF_ENDPOINT = peer.endpoint;
    }
  });

  it("refuses a loopback hub unless CAIRN_ALLOW_PRIVATE_SOURCES allows it", async () => {
    withoutAllowList();
    const error = await failure(huggingfaceSource.list(context("acme/tiny")));
    expect(error).toBeInstanceOf(PermanentSourceError);
    expect(error.message).toMatch(/CAIRN_ALLOW_PRIVATE_SOURCES/);
    await expect(huggingfaceSource.list(context("../etc"))).rejects.toBeInstanceOf(PermanentSourceError);
  });
});

describe("kaggle source", () => {
  const zip = randomBytes(200_000);
  const competitionZip = randomBytes(50_000);
  const outputs = { "model.pt": randomBytes(70_000), "ckpt/step-10.pt": randomBytes(3000), "submission.csv": Buffer.from("id,y\n1,0\n") };
  let peer: Awaited<ReturnType<typeof startKagglePeer>>;
  const connection = (key = "k3y", username = "alice"): SourceConnection => ({
    name: "kaggle",
    provider: "kaggle",
    config: { username, baseUrl: peer.baseUrl },
    secret: { key },
  });

  beforeAll(async () => {
    peer = await startKagglePeer({
      username: "alice",
      key: "k3y",
      datasets: { "alice/mnist-ckpt": zip },
      competitions: { titanic: competitionZip },
      kernels: { "alice/trainer": outputs },
    });
  });
  afterAll(() => peer.stop());

  it("downloads a dataset as one zip, following the redirect to storage without the credentials", async () => {
    peer.requests.length = 0;
    const listing = await kaggleSource.list(context("alice/mnist-ckpt", { connection: connection() }));
    if (listing.kind !== "single") throw new Error("expected a single file");
    expect(listing.name).toBe("mnist-ckpt.zip");
    expect(listing.file.size).toBe(zip.length);
    expect(await digest(listing.file)).toBe(sha256(zip));
    expect(peer.requests.filter((r) => r.server === "api").map((r) => r.url)).toContain("/api/v1/datasets/download/alice/mnist-ckpt");
    expect(peer.requests.filter((r) => r.server === "api").every((r) => r.authorization?.startsWith("Basic "))).toBe(true);
    expect(peer.requests.filter((r) => r.server === "storage").every((r) => r.authorization === undefined)).toBe(true);
  });

  it("downloads all of a competition's data, the default type for a name without '/'", async () => {
    const listing = await kaggleSource.list(context("titanic", { connection: connection() }));
    if (listing.kind !== "single") throw new Error("expected a single file");
    expect(listing.name).toBe("titanic.zip");
    expect(await digest(listing.file)).toBe(sha256(competitionZip));
  });

  it("lists a kernel's output across pages and streams each file", async () => {
    const files = tree(await kaggleSource.list(context("alice/trainer", { connection: connection(), options: { kaggleType: "kernel" } })));
    expect(files.map((f) => f.path).sort()).toEqual(Object.keys(outputs).sort());
    for (const file of files) expect(await digest(file)).toBe(sha256(outputs[file.path as keyof typeof outputs]));
    expect(peer.requests.some((r) => r.url.includes("/kernels/output?") && r.url.includes("pageToken=2"))).toBe(true);
  });

  it("fails clearly on bad or missing credentials, missing names and a wrong kaggleType", async () => {
    const refused = await failure(kaggleSource.list(context("alice/mnist-ckpt", { connection: connection("wrong") })));
    expect(refused).toBeInstanceOf(PermanentSourceError);
    expect(refused.message).toMatch(/HTTP 401.*Kaggle username\/key connection/);
    const saved = process.env.KAGGLE_API_BASE_URL;
    process.env.KAGGLE_API_BASE_URL = peer.baseUrl;
    try {
      const anonymous = await failure(kaggleSource.list(context("titanic")));
      expect(anonymous).toBeInstanceOf(PermanentSourceError);
      expect(anonymous.message).toMatch(/add a Kaggle connection with your username and API key/);
    } finally {
      if (saved === undefined) delete process.env.KAGGLE_API_BASE_URL;
      else process.env.KAGGLE_API_BASE_URL = saved;
    }
    const missing = await failure(kaggleSource.list(context("alice/nothing", { connection: connection() })));
    expect(missing).toBeInstanceOf(PermanentSourceError);
    expect(missing.message).toMatch(/not found/);
    const wrongType = await failure(kaggleSource.list(context("alice/trainer", { connection: connection(), options: { kaggleType: "competition" } })));
    expect(wrongType).toBeInstanceOf(PermanentSourceError);
  });

  it("refuses a loopback API unless CAIRN_ALLOW_PRIVATE_SOURCES allows it", async () => {
    withoutAllowList();
    const error = await failure(kaggleSource.list(context("titanic", { connection: connection() })));
    expect(error).toBeInstanceOf(PermanentSourceError);
    expect(error.message).toMatch(/CAIRN_ALLOW_PRIVATE_SOURCES/);
  });
});
