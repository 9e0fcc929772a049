import "server-only";
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdir, open, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { BlockedAddressError, resolveAllowed } from "@/lib/net/guard";
import { guardedRequest, readText } from "../guarded-fetch";
import { walkLocalTree } from "../local-tree";
import { PermanentSourceError, type SourceAdapter, type SourceContext, type SourceFile } from "../types";
import { gitSpec } from "./spec";

const HOST = /^(?:[A-Za-z0-9][A-Za-z0-9.-]*|\[[0-9A-Fa-f:.]+\])$/;
const USER = /^[A-Za-z0-9._][A-Za-z0-9._-]*$/;
const SCP = /^([^@/:\s]+)@([^/:\s]+|\[[0-9A-Fa-f:.]+\]):(.+)$/;
/** Where the clone goes inside the ingest's scratch directory (tests look at it). */
export const CLONE_DIR = "git-clone";

/** A remote the adapter accepts: only http(s) and ssh, with a host it can check and pin. */
export type GitRemote = { transport: "http" | "https" | "ssh"; host: string; port: number; user?: string; path: string; scp: boolean };

/**
 * Parses and vets a git path before git ever sees it: no leading `-`, no spaces or control
 * characters, and only http(s), ssh:// and scp-like `user@host:path` remotes — `ext::`, `fd::`,
 * `file://`, local paths and every other transport are refused.
 */
export function parseGitRemote(uri: string): GitRemote {
  const refuse = (why: string) => new PermanentSourceError(`Refusing git path '${uri}': ${why} ${gitSpec.path.rule}`, "invalid");
  if (uri.startsWith("-")) throw refuse("it starts with '-'.");
  if (/[\s\u0000-\u001f\u007f]/.test(uri)) throw refuse("it contains spaces or control characters.");
  const scheme = uri.match(/^([A-Za-z][A-Za-z0-9+.-]*):\/\//)?.[1].toLowerCase();
  let remote: GitRemote;
  if (scheme === "http" || scheme === "https" || scheme === "ssh") {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw refuse("it is not a valid URL.");
    }
    if (url.password) throw refuse("it carries a password; put credentials in a git connection instead.");
    const defaultPort = { http: 80, https: 443, ssh: 22 }[scheme];
    const user = decodeURIComponent(url.username) || undefined;
    remote = { transport: scheme, host: url.hostname, port: Number(url.port) || defaultPort, user, path: `${url.pathname}${url.search}`, scp: false };
  } else {
    const scp = uri.match(SCP);
    if (!scp || uri.includes("::")) throw refuse("only http(s) and ssh transports are allowed.");
    remote = { transport: "ssh", host: scp[2], port: 22, user: scp[1], path: scp[3], scp: true };
  }
  if (!HOST.test(remote.host)) throw refuse("the host name is not valid.");
  if (remote.user !== undefined && !USER.test(remote.user)) throw refuse("the user name is not valid.");
  if (remote.path.startsWith("-") || remote.path === "/" || remote.path === "") throw refuse("the repository path is not valid.");
  return remote;
}

const bare = (host: string) => host.replace(/^\[|\]$/g, "");
const bracketed = (ip: string) => (net.isIPv6(ip) ? `[${ip}]` : ip);
const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

type Run = { code: number | null; stdout: Buffer; stderr: string };

/** Runs a program with an argv array (never a shell) and the given environment only. */
function run(cmd: string, args: string[], env: Record<string, string>, signal: AbortSignal): Promise<Run> {
  return new Promise((resolve, reject) => {
    // Next.js types declare NODE_ENV as required in ProcessEnv; git needs only what we pass.
    const child = spawn(cmd, args, { env: env as NodeJS.ProcessEnv, signal, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-8192)));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
  });
}

type Session = {
  remote: GitRemote;
  ip: string;
  /** The URL git is given: the host name for http(s) (pinned with curloptResolve), the checked IP for ssh. */
  gitUrl: string;
  /** For http(s): the URL with credentials removed, the base of the LFS endpoint. */
  httpUrl?: string;
  auth?: string;
  home: string;
  sshUser?: string;
  sshKey?: string;
  env: Record<string, string>;
  config: string[];
};

/**
 * Everything git runs with: no system or user config (HOME is a scratch dir), no prompts, no hooks,
 * no submodules, only http(s)/ssh, no redirects, and the host pinned to the address the guard
 * approved so DNS cannot change it between the check and git's own lookup.
 */
async function openSession(ctx: SourceContext, remote: GitRemote): Promise<Session> {
  let ip: string;
  try {
    ip = await resolveAllowed(bare(remote.host));
  } catch (error) {
    if (error instanceof BlockedAddressError) throw new PermanentSourceError(error.message, "denied");
    if ((error as NodeJS.ErrnoException).code === "ENOTFOUND") throw new PermanentSourceError(`The git host ${remote.host} does not exist (DNS).`, "not_found");
    throw error;
  }
  const home = path.join(ctx.scratchDir, "git-home");
  await mkdir(home, { recursive: true, mode: 0o700 });
  const secret = ctx.connection?.secret ?? {};
  const configUser = typeof ctx.connection?.config.username === "string" ? ctx.connection.config.username : "";
  const env: Record<string, string> = {
    ...{ PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, XDG_CONFIG_HOME: path.join(home, ".config"), LC_ALL: "C" },
    ...{ GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", GIT_ALLOW_PROTOCOL: "http:https:ssh", GIT_LFS_SKIP_SMUDGE: "1" },
    ...{ GIT_TERMINAL_PROMPT: "0", GIT_ASKPASS: "/bin/false", SSH_ASKPASS: "/bin/false" },
  };
  const config = [
    ...["protocol.allow=never", "protocol.https.allow=always", "protocol.http.allow=always", "protocol.ssh.allow=always"],
    ...["core.hooksPath=/dev/null", "core.fsmonitor=false", "core.symlinks=false", "submodule.recurse=false", "credential.helper="],
    // A redirect would reach a host that was neither checked nor pinned; a stalled transfer fails instead of hanging.
    ...["http.followRedirects=false", "http.lowSpeedLimit=1000", "http.lowSpeedTime=120"],
  ];
  const session: Session = { remote, ip, gitUrl: "", home, env, config };
  if (remote.transport !== "ssh") {
    const url = new URL(`${remote.transport}://${remote.host}:${remote.port}${remote.path}`);
    session.gitUrl = session.httpUrl = url.href;
    if (!net.isIP(bare(remote.host))) config.push(`http.curloptResolve=${remote.host}:${remote.port}:${bracketed(ip)}`);
    if (secret.password) {
      session.auth = `Basic ${Buffer.from(`${configUser || remote.user || "git"}:${secret.password}`).toString("base64")}`;
      // Passed through the environment, not argv, so other local users cannot read it in `ps`.
      Object.assign(env, { GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "http.extraHeader", GIT_CONFIG_VALUE_0: `Authorization: ${session.auth}` });
    }
    return session;
  }
  const user = (session.sshUser = remote.user ?? (configUser || "git"));
  session.gitUrl = remote.scp ? `${user}@${bracketed(ip)}:${remote.path}` : `ssh://${user}@${bracketed(ip)}:${remote.port}${remote.path}`;
  if (secret.sshPrivateKey) session.sshKey = `${secret.sshPrivateKey.trim()}\n`;
  return session;
}

/**
 * ssh's options: the host key is remembered under the host's name in a known_hosts file private
 * to this ingest (trust on first use); the connection's key, if any, is the only identity offered.
 */
function sshOptions(s: Session, keyFile: string | null): string[] {
  const o = (option: string) => ["-o", option];
  return [
    ...["-F", "/dev/null"],
    ...["BatchMode=yes", "StrictHostKeyChecking=accept-new", `UserKnownHostsFile=${path.join(s.home, "known_hosts")}`, `HostKeyAlias=${bare(s.remote.host)}`].flatMap(o),
    ...["IdentityAgent=none", "IdentitiesOnly=yes", "PasswordAuthentication=no", "KbdInteractiveAuthentication=no", "ConnectTimeout=30"].flatMap(o),
    ...["ProxyCommand=none", "ProxyJump=none", "ClearAllForwardings=yes", "PermitLocalCommand=no"].flatMap(o),
    ...(keyFile ? ["-i", keyFile] : o("PubkeyAuthentication=no")),
  ];
}

/**
 * Runs work with ssh set up (GIT_SSH_COMMAND, which git runs through a shell, hence the quoting)
 * and the connection's SSH key in a 0600 file that exists only for the call.
 */
async function withSsh<T>(s: Session, work: (env: Record<string, string>, ssh: string[]) => Promise<T>): Promise<T> {
  if (s.remote.transport !== "ssh") return work(s.env, []);
  const keyFile = s.sshKey ? path.join(s.home, `key-${randomUUID()}`) : null;
  try {
    if (keyFile) await writeFile(keyFile, s.sshKey ?? "", { mode: 0o600, flag: "wx" });
    const ssh = sshOptions(s, keyFile);
    return await work({ ...s.env, GIT_SSH_COMMAND: ["ssh", ...ssh].map(shellQuote).join(" "), GIT_SSH_VARIANT: "ssh" }, ssh);
  } finally {
    if (keyFile) await rm(keyFile, { force: true });
  }
}

function gitFailure(stderr: string, uri: string, branch: string | undefined, signed: boolean): Error {
  const said = stderr.trim().split("\n").slice(-3).join(" ").slice(0, 500);
  if (/Remote branch .* not found|couldn't find remote ref/i.test(stderr)) return new PermanentSourceError(`Branch '${branch}' not found in ${uri}.`, "not_found");
  if (/Authentication failed|could not read (Username|Password)|error: 40[13]|Permission denied \(|Host key verification failed/i.test(stderr)) {
    const fix = signed ? "check the credentials in the git connection" : "add a git connection with a username and password/token, or an SSH private key";
    return new PermanentSourceError(`The git server refused access to ${uri}: ${fix}. git said: ${said}`, "denied");
  }
  if (/error: 30[1278]|redirect/i.test(stderr)) return new PermanentSourceError(`${uri} redirects elsewhere, which is not followed: give the final repository URL. git said: ${said}`);
  if (/not found|error: 404|does not appear to be a git repository|does not exist/i.test(stderr)) return new PermanentSourceError(`Git repository ${uri} not found. git said: ${said}`, "not_found");
  return new Error(`git clone of ${uri} failed: ${said}`);
}

type LfsPointer = { path: string; oid: string; size: number };
type LfsAction = { href: string; header?: Record<string, string>; expires_at?: string; expires_in?: number };
type LfsBatch = { objects?: { oid: string; actions?: { download?: LfsAction }; error?: { code: number; message: string } }[] };
type LfsEndpoint = { href: string; header: Record<string, string>; until: number };

/** Files git marks for LFS that hold a pointer (an LFS-filtered file may also be committed raw). */
async function lfsPointers(s: Session, dir: string, signal: AbortSignal): Promise<LfsPointer[]> {
  const listed = await run("git", [...s.config.flatMap((c) => ["-c", c]), "-C", dir, "ls-files", "-z", "--", ":(attr:filter=lfs)"], s.env, signal);
  if (listed.code !== 0) throw new Error(`git ls-files failed: ${listed.stderr.trim()}`);
  const pointers: LfsPointer[] = [];
  for (const rel of listed.stdout.toString("utf8").split("\0").filter(Boolean)) {
    const handle = await open(path.join(dir, rel), "r");
    // A submodule path matched by the attribute is a directory, and never a pointer.
    const head = await handle.read(Buffer.alloc(1024), 0, 1024, 0).catch(() => null).finally(() => handle.close());
    const text = head ? head.buffer.subarray(0, head.bytesRead).toString("utf8") : "";
    const match = text.match(/^version https:\/\/(?:git-lfs|hawser)\.github\.com\/spec\/v1\n(?:[a-z0-9.-]+ .*\n)*?oid sha256:([0-9a-f]{64})\nsize (\d+)\n/);
    if (match) pointers.push({ path: rel, oid: match[1], size: Number(match[2]) });
  }
  return pointers;
}

/**
 * Git LFS objects fetched by Cairn itself rather than by git-lfs: the batch API and every
 * download go through the address guard (git-lfs has its own resolver and would follow an
 * `href` to any address), and objects stream straight into the store instead of being
 * written to the clone first.
 */
function lfsClient(s: Session, uri: string, signal: AbortSignal) {
  let endpoint: LfsEndpoint | undefined;
  const actions = new Map<string, LfsAction & { until: number }>();

  /** `<url>.git/info/lfs` over http(s); over ssh, whatever `git-lfs-authenticate` hands out. */
  async function api(): Promise<LfsEndpoint> {
    if (endpoint && endpoint.until > Date.now() + 30_000) return endpoint;
    if (s.httpUrl) {
      const base = s.httpUrl.replace(/\/+$/, "");
      endpoint = { href: `${base}${base.endsWith(".git") ? "" : ".git"}/info/lfs`, header: s.auth ? { authorization: s.auth } : {}, until: Infinity };
      return endpoint;
    }
    const target = `${s.sshUser}@${bracketed(s.ip)}`;
    const command = `git-lfs-authenticate ${shellQuote(s.remote.path)} download`;
    const answer = await withSsh(s, (env, ssh) => run("ssh", [...ssh, "-p", String(s.remote.port), "--", target, command], env, signal));
    if (answer.code !== 0) throw new PermanentSourceError(`${uri} has Git LFS files but the server did not authorize LFS over ssh: ${answer.stderr.trim().slice(0, 300)}`, "denied");
    const auth = JSON.parse(answer.stdout.toString("utf8")) as LfsAction;
    endpoint = { href: auth.href, header: auth.header ?? {}, until: Date.now() + Math.min(auth.expires_in ?? 300, 600) * 1000 };
    return endpoint;
  }

  async function batch(pointers: LfsPointer[]): Promise<void> {
    const { href, header } = await api();
    const body = Buffer.from(JSON.stringify({ operation: "download", transfers: ["basic"], objects: pointers.map(({ oid, size }) => ({ oid, size })), hash_algo: "sha256" }));
    const headers = { ...header, accept: "application/vnd.git-lfs+json", "content-type": "application/vnd.git-lfs+json" };
    const res = await guardedRequest(`${href}/objects/batch`, { method: "POST", headers, body, signal });
    const text = await readText(res.body);
    if (res.status === 401 || res.status === 403) {
      throw new PermanentSourceError(`The Git LFS server of ${uri} refused access (HTTP ${res.status}): add or check the git connection's credentials.`, "denied");
    }
    if (res.status === 404) throw new PermanentSourceError(`${uri} has Git LFS files but ${href} offers no LFS API (HTTP 404).`, "not_found");
    if (res.status !== 200) throw new Error(`The Git LFS server of ${uri} answered HTTP ${res.status}: ${text.slice(0, 200)}`);
    const objects = (JSON.parse(text) as LfsBatch).objects ?? [];
    for (const p of pointers) {
      const found = objects.find((o) => o.oid === p.oid);
      const download = found?.actions?.download;
      if (!download) throw new PermanentSourceError(`Git LFS object for ${p.path} is not available: ${found?.error?.message ?? "the server did not offer it"}.`, "not_found");
      const until = download.expires_at ? Date.parse(download.expires_at) : download.expires_in ? Date.now() + download.expires_in * 1000 : Infinity;
      actions.set(p.oid, { ...download, until });
    }
  }

  return {
    /** Asks for every object up front, so a missing object or refused access fails the listing. */
    async prepare(pointers: LfsPointer[]) {
      for (let i = 0; i < pointers.length; i += 100) await batch(pointers.slice(i, i + 100));
    },
    async open(p: LfsPointer, openSignal?: AbortSignal) {
      const cached = actions.get(p.oid);
      if (!cached || cached.until < Date.now() + 60_000) await batch([p]);
      const action = actions.get(p.oid) as LfsAction;
      const sameOrigin = new URL(action.href).origin === new URL((await api()).href).origin;
      const headers = { "accept-encoding": "identity", ...(action.header ?? (sameOrigin ? endpoint?.header : {})) };
      const res = await guardedRequest(action.href, { headers, signal: openSignal ?? signal });
      if (res.status === 200) return res.body;
      res.body.resume();
      if (res.status === 404 || res.status === 410) throw new PermanentSourceError(`Git LFS object for ${p.path} is gone from the server (HTTP ${res.status}).`, "not_found");
      actions.delete(p.oid);
      throw new Error(`Git LFS download of ${p.path} answered HTTP ${res.status}.`);
    },
  };
}

const BRANCH = /^(?!-)(?!.*\.\.)(?!.*\/\/)[A-Za-z0-9._/-]+(?<![/.])$/;

/**
 * Git repositories over http(s) or ssh: a shallow, single-branch clone by the system git (no
 * hooks, no submodules, no user config, host pinned to the checked address), every file of
 * the worktree except `.git`, and Git LFS files fetched through the LFS API with their oid
 * as the SHA-256 the pipeline checks.
 */
export const gitSource: SourceAdapter = {
  type: gitSpec.type,
  async list(ctx) {
    const uri = ctx.uri.trim();
    const remote = parseGitRemote(uri);
    const branch = ctx.options.branch || undefined;
    if (branch && !BRANCH.test(branch)) throw new PermanentSourceError(`'${branch}' is not a valid branch name.`, "invalid");
    const s = await openSession(ctx, remote);
    const dir = path.join(ctx.scratchDir, CLONE_DIR);
    await rm(dir, { recursive: true, force: true });
    await ctx.log(`Cloning ${uri}${branch ? ` (branch ${branch})` : ""}, latest commit only.`);
    const args = [...s.config.flatMap((c) => ["-c", c]), "clone", "--depth", "1", "--single-branch", "--no-tags", "--no-recurse-submodules", "--template="];
    const cloned = await withSsh(s, (env) => run("git", [...args, ...(branch ? ["--branch", branch] : []), "--", s.gitUrl, dir], env, ctx.signal));
    if (cloned.code !== 0) throw gitFailure(cloned.stderr, uri, branch, Boolean(s.auth || s.sshKey));
    const pointers = new Map((await lfsPointers(s, dir, ctx.signal)).map((p) => [p.path, p]));
    const lfs = lfsClient(s, uri, ctx.signal);
    if (pointers.size > 0) {
      await ctx.log(`${pointers.size} Git LFS file(s); asking the LFS server for them.`);
      await lfs.prepare([...pointers.values()]);
    }
    const files = await walkLocalTree(dir, { skipNames: [".git"], onSkip: (rel) => void ctx.log(`Skipped ${rel}: not a regular file.`) });
    const withLfs = files.map((file): SourceFile => {
      const p = pointers.get(file.path);
      return p ? { path: p.path, size: p.size, sha256: p.oid, open: (opts) => lfs.open(p, opts?.signal) } : file;
    });
    return { kind: "tree", files: withLfs };
  },
};
