import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);

/** git for building fixtures, isolated from the machine's and the user's git config. */
/** Next.js's typings make NODE_ENV a required variable; child processes here get only what they need. */
const childEnv = (env: Record<string, string>) => env as NodeJS.ProcessEnv;

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cwd, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null", LC_ALL: "C" };
  const { stdout } = await exec("git", ["-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=main", ...args], { cwd, env: childEnv(env) });
  return stdout.trim();
}

export type GitRequest = { method: string; path: string; authorization?: string };

/** A Git LFS pointer file for content, as git-lfs writes it. */
export function lfsPointer(content: Buffer): string {
  const oid = createHash("sha256").update(content).digest("hex");
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${content.length}\n`;
}

/**
 * Repositories served over smart HTTP by `git http-backend` (CGI) behind a Node server, with a
 * minimal Git LFS batch API whose download hrefs point back at this server (or at `lfsHost`).
 * Repos named in `privateRepos` need HTTP Basic `user:password`; `/moved/…` redirects to `/…`.
 */
export async function startGitServer(opts: { privateRepos?: string[]; user?: string; password?: string } = {}) {
  const root = await mkdtemp(path.join(os.tmpdir(), "cairn-git-server-"));
  const requests: GitRequest[] = [];
  const lfsObjects = new Map<string, Buffer>();
  const settings = { lfsHost: "127.0.0.1" };
  const expected = `Basic ${Buffer.from(`${opts.user}:${opts.password}`).toString("base64")}`;
  let port = 0;

  function cgi(req: http.IncomingMessage, res: http.ServerResponse, url: URL) {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: "1",
      GIT_CONFIG_NOSYSTEM: "1",
      HOME: root,
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      REQUEST_METHOD: req.method ?? "GET",
      CONTENT_TYPE: req.headers["content-type"] ?? "",
      REMOTE_ADDR: "127.0.0.1",
      GIT_PROTOCOL: String(req.headers["git-protocol"] ?? ""),
      HTTP_CONTENT_ENCODING: String(req.headers["content-encoding"] ?? ""),
    };
    if (req.headers["content-length"]) env.CONTENT_LENGTH = req.headers["content-length"];
    const child = spawn("git", ["http-backend"], { env: childEnv(env), stdio: ["pipe", "pipe", "ignore"] });
    req.pipe(child.stdin);
    let head = Buffer.alloc(0);
    let started = false;
    child.stdout.on("data", (chunk: Buffer) => {
      if (started) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      started = true;
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of head.subarray(0, end).toString().split("\r\n")) {
        const colon = line.indexOf(":");
        const [name, value] = [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
        if (name.toLowerCase() === "status") status = Number.parseInt(value, 10);
        else headers[name] = value;
      }
      res.writeHead(status, headers);
      res.write(head.subarray(end + 4));
    });
    child.stdout.on("end", () => res.end());
    child.on("error", () => res.destroy());
  }

  function lfsBatch(req: http.IncomingMessage, res: http.ServerResponse) {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { objects: { oid: string; size: number }[] };
      const objects = body.objects.map(({ oid, size }) =>
        lfsObjects.has(oid)
          ? { oid, size, actions: { download: { href: `http://${settings.lfsHost}:${port}/lfs-objects/${oid}`, header: { "x-lfs-ticket": oid.slice(0, 8) }, expires_in: 3600 } } }
          : { oid, size, error: { code: 404, message: "Object does not exist" } },
      );
      res.writeHead(200, { "content-type": "application/vnd.git-lfs+json" });
      res.end(JSON.stringify({ transfer: "basic", objects }));
    });
  }

  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? "/", `http://127.0.0.1:${port}`);
    requests.push({ method: req.method ?? "", path: url.pathname, authorization: req.headers.authorization });
    if (url.pathname.startsWith("/moved/")) {
      res.writeHead(301, { location: `${url.pathname.slice("/moved".length)}${url.search}` });
      return res.end();
    }
    const repo = url.pathname.split("/")[1] ?? "";
    if (opts.privateRepos?.includes(repo) && req.headers.authorization !== expected) {
      res.writeHead(401, { "www-authenticate": 'Basic realm="git"' });
      return res.end();
    }
    if (req.method === "POST" && url.pathname.endsWith("/info/lfs/objects/batch")) return lfsBatch(req, res);
    const object = url.pathname.match(/^\/lfs-objects\/([0-9a-f]{64})$/)?.[1];
    if (object) {
      const data = lfsObjects.get(object);
      if (!data || req.headers["x-lfs-ticket"] !== object.slice(0, 8)) return void res.writeHead(404).end();
      res.writeHead(200, { "content-length": data.length });
      return res.end(data);
    }
    cgi(req, res, url);
  };
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
  // A second loopback address on the same port: reachable, but outside a 127.0.0.1/32 allowlist.
  const other = http.createServer(handler);
  await new Promise<void>((resolve) => other.once("error", () => resolve()).listen(port, "127.0.0.2", resolve));

  return {
    root,
    url: (repo: string) => `http://127.0.0.1:${port}/${repo}`,
    port,
    requests,
    settings,
    /** Makes a bare repo `<name>.git` whose branches hold the given commits (file maps), in order. */
    async createRepo(name: string, branches: Record<string, Record<string, string | Buffer>[]>, extra?: (work: string) => Promise<void>) {
      const work = await mkdtemp(path.join(os.tmpdir(), "cairn-git-work-"));
      await git(work, "init", "-q");
      let first = true;
      for (const [branch, commits] of Object.entries(branches)) {
        if (!first) await git(work, "checkout", "-q", "-b", branch, "main");
        first = false;
        for (const files of commits) {
          for (const [file, content] of Object.entries(files)) {
            await mkdir(path.dirname(path.join(work, file)), { recursive: true });
            await writeFile(path.join(work, file), content);
          }
          await git(work, "add", "-A");
          if (extra && branch === "main") await extra(work);
          await git(work, "commit", "-q", "-m", `commit on ${branch}`);
        }
      }
      await git(work, "checkout", "-q", "main");
      await git(root, "clone", "-q", "--bare", work, path.join(root, `${name}.git`));
      await rm(work, { recursive: true, force: true });
      return git(path.join(root, `${name}.git`), "rev-parse", "main");
    },
    addLfsObject(content: Buffer) {
      lfsObjects.set(createHash("sha256").update(content).digest("hex"), content);
    },
    async stop() {
      for (const s of [server, other]) s.closeAllConnections();
      await Promise.all([server, other].map((s) => new Promise((resolve) => (s.listening ? s.close(resolve) : resolve(null)))));
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** True when this machine can run the ssh test peer (Debian: `apt-get install openssh-server`). */
export function sshdAvailable(): boolean {
  return existsSync(SSHD);
}

const SSHD = "/usr/sbin/sshd";

/**
 * An OpenSSH server on loopback serving the repos under `root` to one key: a forced command lets
 * the key run only `git-upload-pack` and a stand-in `git-lfs-authenticate` that answers `lfs`.
 * It runs as the current user (root in CI), so sshd's privilege-separation directory must exist.
 */
export async function startSshServer(root: string, lfs: { href: string; header: Record<string, string> }) {
  const dir = await mkdtemp(path.join(os.tmpdir(), "cairn-sshd-"));
  await mkdir("/run/sshd", { recursive: true, mode: 0o755 });
  await exec("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, "host_key")]);
  await exec("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, "client_key")]);
  const dispatch = path.join(dir, "dispatch");
  const lfsAnswer = JSON.stringify({ ...lfs, expires_in: 3600 }).replace(/'/g, "");
  await writeFile(
    dispatch,
    `#!/bin/sh\ncase "$SSH_ORIGINAL_COMMAND" in\n  "git-upload-pack '${root}/"*) eval "exec $SSH_ORIGINAL_COMMAND" ;;\n` +
      `  "git-lfs-authenticate "*" download") printf '%s' '${lfsAnswer}' ;;\n  *) echo "refused: $SSH_ORIGINAL_COMMAND" >&2; exit 1 ;;\nesac\n`,
    { mode: 0o755 },
  );
  const clientPublic = (await readFile(path.join(dir, "client_key.pub"), "utf8")).trim();
  await writeFile(path.join(dir, "authorized_keys"), `command="${dispatch}",no-port-forwarding,no-pty,no-agent-forwarding ${clientPublic}\n`, { mode: 0o600 });
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  const config = [
    `Port ${port}`,
    "ListenAddress 127.0.0.1",
    `HostKey ${path.join(dir, "host_key")}`,
    `AuthorizedKeysFile ${path.join(dir, "authorized_keys")}`,
    `PidFile ${path.join(dir, "sshd.pid")}`,
    "StrictModes no",
    "UsePAM no",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "PermitRootLogin prohibit-password",
    "LogLevel ERROR",
  ];
  await writeFile(path.join(dir, "sshd_config"), `${config.join("\n")}\n`);
  const sshd = spawn(SSHD, ["-D", "-e", "-f", path.join(dir, "sshd_config")], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  sshd.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  // Ready once it accepts a TCP connection.
  for (let i = 0; ; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => (socket.destroy(), resolve(true))).on("error", () => resolve(false));
    });
    if (up) break;
    if (i > 100 || sshd.exitCode !== null) throw new Error(`sshd did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    user: os.userInfo().username,
    privateKey: await readFile(path.join(dir, "client_key"), "utf8"),
    async stop() {
      sshd.kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
