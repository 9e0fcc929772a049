import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { datastoreSource } from "@/lib/sources/datastore/adapter";
import { PermanentSourceError, type SourceContext, type SourceFile, type SourceListing } from "@/lib/sources/types";
import { sha256, sha256Of } from "../helpers/files";


const digest = async (file: SourceFile): Promise<string> => sha256Of(await file.open());

const context = (uri: string): SourceContext => ({ uri, options: {}, connection: null, scratchDir: "/nonexistent", signal: new AbortController().signal, log: async () => {} });

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a failure");
}

function tree(listing: SourceListing): SourceFile[] {
  if (listing.kind !== "tree") throw new Error(`expected a tree, got ${listing.kind}`);
  return listing.files;
}

describe("datastore source", () => {
  let base: string;
  let root: string;
  let outside: string;
  const weights = randomBytes(150_000);
  const config = Buffer.from('{"dim": 8}');
  const saved = process.env.CAIRN_DATASTORE_ROOTS;

  beforeAll(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), "cairn-datastore-"));
    root = path.join(base, "root");
    outside = path.join(base, "outside");
    await mkdir(path.join(root, "models/llama/tokenizer"), { recursive: true });
    await mkdir(outside, { recursive: true });
    await writeFile(path.join(root, "models/llama/weights.bin"), weights);
    await writeFile(path.join(root, "models/llama/tokenizer/config.json"), config);
    await writeFile(path.join(root, "models/single.tar.gz"), weights);
    await writeFile(path.join(outside, "passwd"), "root:x:0:0\n");
    // A link that stays inside the root is fine; one that leaves it is not.
    await mkdir(path.join(root, "models/linked"), { recursive: true });
    await symlink(path.join(root, "models/llama/weights.bin"), path.join(root, "models/linked/same-weights.bin"));
    await mkdir(path.join(root, "models/escape"), { recursive: true });
    await writeFile(path.join(root, "models/escape/ok.txt"), "ok");
    await symlink(path.join(outside, "passwd"), path.join(root, "models/escape/passwd"));
    await symlink(outside, path.join(root, "models/outside-dir"));
    await symlink(root, path.join(base, "root-link"));
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.CAIRN_DATASTORE_ROOTS;
    else process.env.CAIRN_DATASTORE_ROOTS = saved;
  });
  afterAll(() => rm(base, { recursive: true, force: true }));

  it("lists a directory as a tree and streams its files", async () => {
    process.env.CAIRN_DATASTORE_ROOTS = `/nonexistent-root,${root}`;
    const files = tree(await datastoreSource.list(context(`${root}/models/llama/`)));
    expect(files.map((f) => [f.path, f.size])).toEqual([
      ["tokenizer/config.json", config.length],
      ["weights.bin", weights.length],
    ]);
    expect(await digest(files[1])).toBe(sha256(weights));
    expect(await digest(files[0])).toBe(sha256(config));
    // Without the trailing '/', a directory is still a tree.
    expect(tree(await datastoreSource.list(context(`${root}/models/llama`))).length).toBe(2);
  });

  it("gives a file as a single object named after it", async () => {
    process.env.CAIRN_DATASTORE_ROOTS = root;
    const listing = await datastoreSource.list(context(`${root}/models/single.tar.gz`));
    if (listing.kind !== "single") throw new Error("expected a single file");
    expect(listing.name).toBe("single.tar.gz");
    expect(listing.file.size).toBe(weights.length);
    expect(await digest(listing.file)).toBe(sha256(weights));
    const slash = await failure(datastoreSource.list(context(`${root}/models/single.tar.gz/`)));
    expect(slash).toBeInstanceOf(PermanentSourceError);
  });

  it("follows a link that stays inside a root", async () => {
    process.env.CAIRN_DATASTORE_ROOTS = root;
    const files = tree(await datastoreSource.list(context(`${root}/models/linked/`)));
    expect(files.map((f) => f.path)).toEqual(["same-weights.bin"]);
    expect(await digest(files[0])).toBe(sha256(weights));
  });

  it("refuses a tree holding a link that leads outside the roots, naming it", async () => {
    process.env.CAIRN_DATASTORE_ROOTS = root;
    const error = await failure(datastoreSource.list(context(`${root}/models/escape/`)));
    expect(error).toBeInstanceOf(PermanentSourceError);
    expect(error.message).toContain("'passwd' is a symbolic link");
    expect(error.message).toContain("CAIRN_DATASTORE_ROOTS");
    // The directory link itself, given as the path, resolves outside and is refused too.
    const direct = await failure(datastoreSource.list(context(`${root}/models/outside-dir/`)));
    expect(direct.message).toMatch(/outside the datastore roots \(CAIRN_DATASTORE_ROOTS\)/);
    const whole = await failure(datastoreSource.list(context(`${root}/models/`)));
    expect(whole).toBeInstanceOf(PermanentSourceError);
  });

  it("refuses paths outside every root, and '..' by the rule", async () => {
    process.env.CAIRN_DATASTORE_ROOTS = root;
    const error = await failure(datastoreSource.list(context(`${outside}/`)));
    expect(error).toBeInstanceOf(PermanentSourceError);
    expect(error.message).toMatch(/outside the datastore roots \(CAIRN_DATASTORE_ROOTS\)/);
    expect((await failure(datastoreSource.list(context("/etc/passwd")))).message).toMatch(/CAIRN_DATASTORE_ROOTS/);
    const dots = await failure(datastoreSource.list(context(`${root}/models/../../outside/passwd`)));
    expect(dots).toBeInstanceOf(PermanentSourceError);
    expect(dots.message).toMatch(/absolute server path/);
    expect(await failure(datastoreSource.list(context("relative/path")))).toBeInstanceOf(PermanentSourceError);
  });

  it("handles a root that is itself a symbolic link, by either spelling", async () => {
    process.env.CAIRN_DATASTORE_ROOTS = path.join(base, "root-link");
    const viaLink = tree(await datastoreSource.list(context(`${base}/root-link/models/llama/`)));
    expect(viaLink.map((f) => f.path)).toEqual(["tokenizer/config.json", "weights.bin"]);
    expect(await digest(viaLink[1])).toBe(sha256(weights));
    const viaReal = tree(await datastoreSource.list(context(`${root}/models/llama/`)));
    expect(viaReal.length).toBe(2);
    expect((await failure(datastoreSource.list(context(`${base}/root-link/models/escape/`)))).message).toContain("'passwd'");
  });

  it("says the administrator must set CAIRN_DATASTORE_ROOTS when no root is configured", async () => {
    delete process.env.CAIRN_DATASTORE_ROOTS;
    const error = await failure(datastoreSource.list(context(`${root}/models/llama/`)));
    expect(error).toBeInstanceOf(PermanentSourceError);
    expect(error.message).toMatch(/administrator must set CAIRN_DATASTORE_ROOTS/);
  });
});
