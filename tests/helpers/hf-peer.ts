import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * One file of a fake Hub repo; `lfs` files are served through the CDN with their sha256 as oid,
 * or with `vouched` as the oid the Hub claims whatever the bytes; the first `damaged` downloads
 * from the CDN arrive with a byte flipped (damage on the way); the first `dropped` downloads (from
 * the Hub or the CDN) stop half-way with the connection cut.
 */
export type HubFile = { path: string; content: Buffer; lfs?: boolean; vouched?: string; damaged?: number; dropped?: number };
/** `moved` branches resolve (model info) to the given commit, which the Hub then does not know. */
export type HubRepo = { token?: string; gated?: boolean; branches: Record<string, HubFile[]>; moved?: Record<string, string> };
export type HubRequest = { server: "hub" | "cdn"; method: string; url: string; authorization?: string };

const sha = (data: Buffer | string, algo = "sha256") => createHash(algo).update(data).digest("hex");
const commitOf = (repo: string, branch: string) => sha(`${repo}@${branch}`, "sha1");

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

/**
 * A Hugging Face Hub on loopback that answers the calls @huggingface/hub v2 makes — model info
 * at a revision, the paginated recursive tree (Link header), resolve downloads — plus a CDN on a
 * second origin that LFS downloads are redirected to, as on huggingface.co.
 */
export async function startHfPeer(repos: Record<string, HubRepo>, opts: { pageSize?: number } = {}) {
  const pageSize = opts.pageSize ?? 2;
  const requests: HubRequest[] = [];
  const blobs = new Map<string, HubFile>();
  const downloads = new Map<HubFile, number>();
  const sends = new Map<HubFile, number>();

  /** Sends a file's bytes, or — for its first `dropped` downloads — half of them before cutting the connection. */
  function sendFile(res: http.ServerResponse, file: HubFile, body: Buffer, headers: Record<string, string> = {}) {
    const count = (sends.get(file) ?? 0) + 1;
    sends.set(file, count);
    res.writeHead(200, { ...headers, "content-length": body.length });
    if (count > (file.dropped ?? 0)) return res.end(body);
    res.write(body.subarray(0, Math.floor(body.length / 2)), () => setTimeout(() => res.socket?.destroy(), 20));
  }
  let hubPort = 0;
  let cdnPort = 0;

  /** Finds the repo and branch (or commit) a request names, or answers the Hub's error. */
  function locate(req: http.IncomingMessage, res: http.ServerResponse, name: string, rev: string) {
    const repo = repos[name];
    const auth = req.headers.authorization;
    // As on huggingface.co: without a token a missing repo answers 401 like a private one.
    if (!repo) {
      json(res, auth ? 404 : 401, { error: "Repository not found" }, { "x-error-code": "RepoNotFound" });
      return null;
    }
    if (repo.token && auth !== `Bearer ${repo.token}`) {
      if (auth && repo.gated) json(res, 403, { error: "Access to this model is restricted" }, { "x-error-code": "GatedRepo" });
      else json(res, 401, { error: auth ? "Invalid credentials in Authorization header" : "Repository not found" });
      return null;
    }
    const branch = Object.keys(repo.branches).find((b) => b === rev || commitOf(name, b) === rev);
    if (!branch) {
      json(res, 404, { error: `Invalid rev id: ${rev}` }, { "x-error-code": "RevisionNotFound" });
      return null;
    }
    return { branch, files: repo.branches[branch], commit: commitOf(name, branch) };
  }

  function entries(files: HubFile[]) {
    const dirs = new Set<string>();
    for (const f of files) f.path.split("/").slice(0, -1).forEach((_, i, parts) => dirs.add(parts.slice(0, i + 1).join("/")));
    return [
      ...[...dirs].map((d) => ({ type: "directory", oid: sha(d, "sha1"), size: 0, path: d })),
      ...files.map((f) => ({
        type: "file",
        oid: sha(f.content, "sha1"),
        size: f.content.length,
        path: f.path,
        ...(f.lfs ? { lfs: { oid: f.vouched ?? sha(f.content), size: f.content.length, pointerSize: 134 } } : {}),
      })),
    ];
  }

  const hub = http.createServer((req, res) => {
    requests.push({ server: "hub", method: req.method ?? "", url: req.url ?? "", authorization: req.headers.authorization });
    const url = new URL(req.url ?? "/", `http://127.0.0.1:${hubPort}`);
    const info = url.pathname.match(/^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/);
    if (info) {
      const moved = repos[info[1]]?.moved?.[decodeURIComponent(info[2])];
      if (moved) return json(res, 200, { _id: "x", id: info[1], sha: moved, private: false, gated: false, downloads: 0, likes: 0, lastModified: new Date().toISOString() });
      const found = locate(req, res, info[1], decodeURIComponent(info[2]));
      if (found) json(res, 200, { _id: "x", id: info[1], sha: found.commit, private: Boolean(repos[info[1]].token), gated: false, downloads: 0, likes: 0, lastModified: new Date().toISOString() });
      return;
    }
    const tree = url.pathname.match(/^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)$/);
    if (tree) {
      const found = locate(req, res, tree[1], decodeURIComponent(tree[2]));
      if (!found) return;
      const all = entries(found.files);
      const cursor = Number(url.searchParams.get("cursor") ?? 0);
      const next = cursor + pageSize < all.length ? new URL(url) : null;
      next?.searchParams.set("cursor", String(cursor + pageSize));
      json(res, 200, all.slice(cursor, cursor + pageSize), next ? { link: `<${next.href}>; rel="next"` } : {});
      return;
    }
    const resolve = url.pathname.match(/^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/);
    if (resolve) {
      const found = locate(req, res, resolve[1], decodeURIComponent(resolve[2]));
      if (!found) return;
      const filePath = resolve[3].split("/").map(decodeURIComponent).join("/");
      const file = found.files.find((f) => f.path === filePath);
      if (!file) return json(res, 404, { error: "Entry not found" }, { "x-error-code": "EntryNotFound" });
      const headers = { "x-repo-commit": found.commit, etag: `"${sha(file.content, "sha1")}"` };
      if (file.lfs) {
        blobs.set(sha(file.content), file);
        res.writeHead(302, { ...headers, "x-linked-etag": `"${file.vouched ?? sha(file.content)}"`, "x-linked-size": String(file.content.length), location: `http://127.0.0.1:${cdnPort}/blobs/${sha(file.content)}?signature=x` });
        return res.end();
      }
      if (req.method === "HEAD") return res.writeHead(200, { ...headers, "content-length": file.content.length }).end();
      return sendFile(res, file, file.content, headers);
    }
    json(res, 404, { error: "Not found" });
  });

  const cdn = http.createServer((req, res) => {
    requests.push({ server: "cdn", method: req.method ?? "", url: req.url ?? "", authorization: req.headers.authorization });
    const oid = (req.url ?? "").match(/^\/blobs\/([0-9a-f]{64})/)?.[1];
    const file = oid ? blobs.get(oid) : undefined;
    // Signed CDN URLs reject a request that also carries an Authorization header, as S3 does.
    if (!file || req.headers.authorization) return json(res, req.headers.authorization ? 400 : 404, { error: "bad request" });
    const served = (downloads.get(file) ?? 0) + 1;
    downloads.set(file, served);
    const body = Buffer.from(file.content);
    if (served <= (file.damaged ?? 0)) body[0] ^= 0xff;
    sendFile(res, file, body);
  });

  hubPort = await listen(hub);
  cdnPort = await listen(cdn);
  return {
    endpoint: `http://127.0.0.1:${hubPort}`,
    requests,
    commitOf,
    /** How many times the CDN has served a file's bytes. */
    downloadsOf: (file: HubFile) => downloads.get(file) ?? 0,
    async stop() {
      hub.closeAllConnections();
      cdn.closeAllConnections();
      await Promise.all([new Promise((r) => hub.close(r)), new Promise((r) => cdn.close(r))]);
    },
  };
}
