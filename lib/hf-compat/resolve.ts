import "server-only";
import { downloadFile } from "@/lib/checkpoints/download";
import type { Db } from "@/lib/db/client";
import { findFile } from "@/lib/db/queries/files";
import type { HubViewer } from "./access";
import { HubError } from "./errors";
import { openRepo } from "./repo";

/**
 * `HEAD|GET /{ns}/{name}/resolve/{rev}/{path}`: one file, through the API's own download path
 * (ETag, Range → 206, Content-Length, Accept-Ranges), plus the headers the Hub's clients read:
 * `X-Repo-Commit`, and `X-Linked-Etag`/`X-Linked-Size` (the SHA-256 in quotes and the size, what
 * the Hub sends for LFS files). Bytes come straight from here, never by redirect, so the token
 * is only ever sent to this server.
 */
export async function resolveFile(
  db: Db,
  viewer: HubViewer,
  { ns, name, revision, path, request }: { ns: string; name: string; revision: string; path: string; request: Request },
): Promise<Response> {
  const repo = await openRepo(db, viewer, { ns, name, revision });
  const file = await findFile(db, { checkpointId: repo.checkpoint.id, path });
  // huggingface_hub reads X-Repo-Commit here too: it remembers the file is absent at that commit.
  if (!file) throw new HubError(404, "EntryNotFound", `No file '${path}' in ${repo.id} at ${repo.commit}.`, { "x-repo-commit": repo.commit });

  const etag = `"${file.sha256}"`;
  const headers = new Headers(request.headers);
  const head = request.method === "HEAD";
  // HEAD asks the download path for the file on the condition it changed from its own ETag: the
  // answer is every header with no blob opened. An empty file has no byte range to send.
  if (head) headers.set("if-none-match", etag);
  const emptyRanged = file.size === 0 && headers.has("range");
  if (head || file.size === 0) headers.delete("range");
  const answer = await downloadFile(db, {
    orgId: repo.checkpoint.orgId,
    ref: repo.checkpoint.id,
    filePath: path,
    request: new Request(request.url, { method: "GET", headers }),
  });

  const out = new Headers(answer.headers);
  out.set("x-repo-commit", repo.commit);
  out.set("x-linked-etag", etag);
  out.set("x-linked-size", String(file.size));
  if (head) {
    out.set("content-length", String(file.size));
    return new Response(null, { status: request.headers.get("if-none-match") === etag ? 304 : 200, headers: out });
  }
  // @huggingface/hub sizes a file by the Content-Range of its `bytes=0-0` probe, also for an empty one.
  if (emptyRanged && answer.status === 200) out.set("content-range", "bytes */0");
  return new Response(answer.body, { status: answer.status, headers: out });
}
