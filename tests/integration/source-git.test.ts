import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CLONE_DIR, gitSource } from "@/lib/sources/git/adapter";
import { PermanentSourceError, type SourceConnection, type SourceContext, type SourceFile, type SourceListing } from "@/lib/sources/types";
import { git, lfsPointer, sshdAvailable, startGitServer, startSshServer } from "@/tests/helpers/git-server";
import { sha256, sha256Of } from "@/tests/helpers/files";

const exec = promisify(execFile);

const digest = async (file: SourceFile): Promise<string> => sha256Of(await file.open());

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

describe("git source", () => {
  let server: Awaited<ReturnType<typeof startGitServer>>;
  let scratch: string;
  let base: string;
  const weights = randomBytes(120_000);
  const big = randomBytes(250_000);
  const main: Record<string, string | Buffer>[] = [
    { "README.md": "v1\n", "weights/model.bin": weights },
    { "README.md": "v2\n", "nested/dir/config.json": '{"dim": 4}' },
    { ".gitattributes": "*.safetensors filter=lfs diff=lfs merge=lfs -text\n", "big.safetensors": lfsPointer(big), "raw.safetensors": "committed without LFS" },
  ];
  const saved = { allow: process.env.CAIRN_ALLOW_PRIVATE_SOURCES, home: process.env.HOME, template: process.env.GIT_TEMPLATE_DIR };

  const context = (uri: string, opts: { branch?: string; connection?: SourceConnection } = {}): SourceContext => ({
    uri,
    options: opts.branch ? { branch: opts.branch } : {},
    connection: opts.connection ?? null,
    scratchDir: scratch,
    signal: new AbortController().signal,
    log: async () => {},
  });

  beforeAll(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), "cairn-git-test-"));
    server = await startGitServer({ privateRepos: ["private.git"], user: "alice", password: "s3cret" });
    server.addLfsObject(big);
    await server.createRepo("public", { main, dev: [{ "dev-only.txt": "dev\n", "README.md": "dev readme\n" }] });
    await server.createRepo("private", { main: [{ "secret.txt": "classified\n" }] });
    await server.createRepo("lfs-missing", { main: [{ ".gitattributes": "*.bin filter=lfs -text\n", "gone.bin": lfsPointer(Buffer.from("never uploaded")) }] });
    const subCommit = await server.createRepo("sub", { main: [{ "inner.txt": "inner\n" }] });
    await server.createRepo("with-sub", { main: [{ "top.txt": "top\n", ".gitmodules": `[submodule "sub"]\n\tpath = sub\n\turl = ${server.url("sub.git")}\n` }] }, (work) =>
      git(work, "update-index", "--add", "--cacheinfo", `160000,${subCommit},sub`).then(() => undefined),
    );
  });
  afterAll(async () => {
    await server.stop();
    await rm(base, { recursive: true, force: true });
  });
  beforeEach(async () => {
    scratch = await mkdtemp(path.join(base, "scratch-"));
    process.env.CAIRN_ALLOW_PRIVATE_SOURCES = "127.0.0.1/32";
    server.requests.length = 0;
  });
  afterEach(() => {
    for (const [key, value] of [["CAIRN_ALLOW_PRIVATE_SOURCES", saved.allow], ["HOME", saved.home], ["GIT_TEMPLATE_DIR", saved.template]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    server.settings.lfsHost = "127.0.0.1";
  });

  it("clones main shallowly, leaves .git out, and streams every file, LFS ones from the LFS API", async () => {
    const files = tree(await gitSource.list(context(server.url("public.git"))));
    expect(files.map((f) => f.path)).toEqual([".gitattributes", "README.md", "big.safetensors", "nested/dir/config.json", "raw.safetensors", "weights/model.bin"]);
    const byPath = Object.fromEntries(files.map((f) => [f.path, f]));
    expect(await digest(byPath["README.md"])).toBe(sha256("v2\n"));
    expect(await digest(byPath["weights/model.bin"])).toBe(sha256(weights));
    expect(await digest(byPath["raw.safetensors"])).toBe(sha256("committed without LFS"));
    expect(byPath["big.safetensors"].sha256).toBe(sha256(big));
    expect(byPath["big.safetensors"].size).toBe(big.length);
    expect(await digest(byPath["big.safetensors"])).toBe(sha256(big));
    expect(server.requests.some((r) => r.path === "/public.git/info/lfs/objects/batch")).toBe(true);
    const { stdout } = await exec("git", ["-C", path.join(scratch, CLONE_DIR), "rev-list", "--count", "HEAD"], { env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", HOME: scratch } });
    expect(stdout.trim()).toBe("1");
  });

  it("clones the branch option, and says when a branch does not exist", async () => {
    const files = tree(await gitSource.list(context(server.url("public.git"), { branch: "dev" })));
    expect(files.map((f) => f.path)).toContain("dev-only.txt");
    expect(await digest(files.find((f) => f.path === "README.md") as SourceFile)).toBe(sha256("dev readme\n"));
    const missing = await failure(gitSource.list(context(server.url("public.git"), { branch: "nope" })));
    expect(missing).toBeInstanceOf(PermanentSourceError);
    expect(missing.message).toMatch(/Branch 'nope' not found/);
    expect(await failure(gitSource.list(context(server.url("public.git"), { branch: "--upload-pack=x" })))).toBeInstanceOf(PermanentSourceError);
  });

  it("sends the connection's credentials as HTTP Basic, and explains a refusal without them", async () => {
    const anonymous = await failure(gitSource.list(context(server.url("private.git"))));
    expect(anonymous).toBeInstanceOf(PermanentSourceError);
    expect(anonymous.message).toMatch(/refused access.*add a git connection/);
    const connection: SourceConnection = { name: "git", provider: "git", config: { username: "alice" }, secret: { password: "s3cret" } };
    const files = tree(await gitSource.list(context(server.url("private.git"), { connection })));
    expect(files.map((f) => f.path)).toEqual(["secret.txt"]);
    expect(await digest(files[0])).toBe(sha256("classified\n"));
  });

  it("refuses every transport but http(s) and ssh, and leading dashes, before git runs", async () => {
    const marker = path.join(base, "pwned");
    const savedPath = process.env.PATH;
    process.env.PATH = path.join(base, "no-git-here");
    try {
      for (const uri of [`ext::sh -c touch% ${marker}`, "ext::sh", "file:///etc", "/etc", "-uhelp", `--upload-pack=touch ${marker}`, "fd::3", "git://127.0.0.1/x.git", "ftp://127.0.0.1/x.git", "ssh://-oProxyCommand=x/y", "-oProxyCommand=x@h:y", "git@host:-x"]) {
        const error = await failure(gitSource.list(context(uri)));
        expect(error, uri).toBeInstanceOf(PermanentSourceError);
        expect(error.message, uri).toMatch(/Refusing git path/);
      }
    } finally {
      process.env.PATH = savedPath;
    }
    expect(existsSync(marker)).toBe(false);
    expect(server.requests).toEqual([]);
  });

  it("refuses loopback hosts unless CAIRN_ALLOW_PRIVATE_SOURCES allows them", async () => {
    delete process.env.CAIRN_ALLOW_PRIVATE_SOURCES;
    for (const uri of ["git@127.0.0.1:x.git", "https://localhost/org/x.git", server.url("public.git"), "ssh://git@[::1]/x.git"]) {
      const error = await failure(gitSource.list(context(uri)));
      expect(error, uri).toBeInstanceOf(PermanentSourceError);
      expect(error.message, uri).toMatch(/CAIRN_ALLOW_PRIVATE_SOURCES/);
    }
    expect(server.requests).toEqual([]);
  });

  it("does not fetch submodules", async () => {
    const files = tree(await gitSource.list(context(server.url("with-sub.git"))));
    expect(files.map((f) => f.path)).toEqual([".gitmodules", "top.txt"]);
    expect(server.requests.some((r) => r.path.startsWith("/sub.git"))).toBe(false);
  });

  it("ignores the machine's git config, templates and hooks", async () => {
    const hostile = path.join(base, "hostile-home");
    const marker = path.join(base, "hook-ran");
    await mkdir(path.join(hostile, "hooks"), { recursive: true });
    await mkdir(path.join(hostile, "template/hooks"), { recursive: true });
    const hook = `#!/bin/sh\ntouch '${marker}'\n`;
    await writeFile(path.join(hostile, "hooks/post-checkout"), hook, { mode: 0o755 });
    await writeFile(path.join(hostile, "template/hooks/post-checkout"), hook, { mode: 0o755 });
    await writeFile(path.join(hostile, ".gitconfig"), `[core]\n\thooksPath = ${hostile}/hooks\n[init]\n\ttemplateDir = ${hostile}/template\n[submodule]\n\trecurse = true\n`);
    process.env.HOME = hostile;
    process.env.GIT_TEMPLATE_DIR = path.join(hostile, "template");
    // The control: a plain clone in this environment does run the hook.
    await exec("git", ["clone", "-q", server.url("with-sub.git"), path.join(base, "control")], { env: process.env });
    expect(existsSync(marker)).toBe(true);
    await rm(marker);
    const files = tree(await gitSource.list(context(server.url("with-sub.git"))));
    expect(files.map((f) => f.path)).toEqual([".gitmodules", "top.txt"]);
    expect(existsSync(marker)).toBe(false);
  });

  it("does not follow redirects", async () => {
    const error = await failure(gitSource.list(context(`${server.url("moved")}/public.git`)));
    expect(error).toBeInstanceOf(PermanentSourceError);
    expect(error.message).toMatch(/redirects/);
  });

  it("guards LFS downloads too: an href to a blocked address is refused", async () => {
    server.settings.lfsHost = "127.0.0.2";
    const files = tree(await gitSource.list(context(server.url("public.git"))));
    const lfs = files.find((f) => f.path === "big.safetensors") as SourceFile;
    const error = await failure(digest(lfs));
    expect(error.message).toMatch(/CAIRN_ALLOW_PRIVATE_SOURCES/);
    process.env.CAIRN_ALLOW_PRIVATE_SOURCES = "127.0.0.0/8";
    expect(await digest(lfs)).toBe(sha256(big));
  });

  it("fails the listing when an LFS object is missing on the server", async () => {
    const error = await failure(gitSource.list(context(server.url("lfs-missing.git"))));
    expect(error).toBeInstanceOf(PermanentSourceError);
    expect(error.message).toMatch(/gone\.bin is not available: Object does not exist/);
  });

  describe.skipIf(!sshdAvailable())("over ssh (needs openssh-server)", () => {
    let sshd: Awaited<ReturnType<typeof startSshServer>>;
    beforeAll(async () => {
      sshd = await startSshServer(server.root, { href: `${server.url("public.git")}/info/lfs`, header: { Authorization: "RemoteAuth lfs-token" } });
    });
    afterAll(() => sshd?.stop());

    it("clones with the connection's key, gets LFS access from git-lfs-authenticate, and deletes the key", async () => {
      const connection: SourceConnection = { name: "git", provider: "git", config: {}, secret: { sshPrivateKey: sshd.privateKey } };
      const uri = `ssh://${sshd.user}@127.0.0.1:${sshd.port}${server.root}/public.git`;
      const files = tree(await gitSource.list(context(uri, { connection, branch: "main" })));
      expect(files.map((f) => f.path)).toEqual([".gitattributes", "README.md", "big.safetensors", "nested/dir/config.json", "raw.safetensors", "weights/model.bin"]);
      const lfs = files.find((f) => f.path === "big.safetensors") as SourceFile;
      expect(await digest(lfs)).toBe(sha256(big));
      expect(server.requests.find((r) => r.path === "/public.git/info/lfs/objects/batch")?.authorization).toBe("RemoteAuth lfs-token");
      expect((await readdir(path.join(scratch, "git-home"))).filter((name) => name.startsWith("key-"))).toEqual([]);
    });

    it("explains a refusal when no key is given", async () => {
      const error = await failure(gitSource.list(context(`ssh://${sshd.user}@127.0.0.1:${sshd.port}${server.root}/public.git`)));
      expect(error).toBeInstanceOf(PermanentSourceError);
      expect(error.message).toMatch(/refused access.*SSH private key/);
    });
  });
});
