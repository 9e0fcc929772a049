import "server-only";
import type { Db } from "@/lib/db/client";
import type { HubViewer } from "./access";
import { HubError } from "./errors";
import { folderOid, lfsPointer } from "./lfs";
import { byPath, openRepo, repoFiles, type HubRepo, type ManifestFile } from "./repo";
import type { TreeQuery } from "./schemas";

type LastCommit = { id: string; title: string; date: string };
export type TreeEntry =
  | { type: "file"; oid: string; size: number; path: string; lfs: { oid: string; size: number; pointerSize: number }; lastCommit?: LastCommit }
  | { type: "directory"; oid: string; size: 0; path: string; lastCommit?: LastCommit };

/** The folders of the listing below `base` ('' for the root): every level, or only the first. */
function foldersUnder(base: string, files: readonly ManifestFile[], recursive: boolean): string[] {
  const folders = new Set<string>();
  const start = base ? base.split("/").length : 0;
  for (const file of files) {
    const parts = file.path.split("/").slice(0, -1);
    const deepest = recursive ? parts.length : Math.min(parts.length, start + 1);
    for (let depth = start + 1; depth <= deepest; depth += 1) folders.add(parts.slice(0, depth).join("/"));
  }
  return [...folders];
}

/**
 * The entries of the tree at `path`: its files and folders, and with `recursive` everything below;
 * with `expand` each carries `lastCommit` (the checkpoint's one commit). A path that is no folder
 * of the repo is EntryNotFound.
 */
export function treeEntries(repo: HubRepo, files: readonly ManifestFile[], { path, recursive, expand }: { path: string; recursive: boolean; expand: boolean }): TreeEntry[] {
  const base = path.replace(/^\/+|\/+$/g, "");
  const prefix = base ? `${base}/` : "";
  const below = files.filter((file) => file.path.startsWith(prefix));
  if (base && below.length === 0) {
    const isFile = files.some((file) => file.path === base);
    throw new HubError(
      404,
      "EntryNotFound",
      isFile
        ? `'${base}' is a file of ${repo.id}, not a folder: download it from /${repo.id}/resolve/main/${base}.`
        : `No folder '${base}' in ${repo.id}. List the root of the tree to see its paths.`,
      { "x-repo-commit": repo.commit },
    );
  }
  const depth = base ? base.split("/").length : 0;
  const listed = recursive ? below : below.filter((file) => file.path.split("/").length === depth + 1);
  const lastCommit = expand
    ? { lastCommit: { id: repo.commit, title: `Checkpoint ${repo.checkpoint.name} ready`, date: (repo.checkpoint.readyAt ?? repo.checkpoint.updatedAt).toISOString() } }
    : {};
  const folders = foldersUnder(base, below, recursive).map(
    (folder): TreeEntry => ({
      type: "directory",
      oid: folderOid(folder, below.filter((file) => file.path.startsWith(`${folder}/`))),
      size: 0,
      path: folder,
      ...lastCommit,
    }),
  );
  const entries = listed.map((file): TreeEntry => {
    const pointer = lfsPointer(file);
    return { type: "file", oid: pointer.oid, size: file.size, path: file.path, lfs: { oid: file.sha256, size: file.size, pointerSize: pointer.pointerSize }, ...lastCommit };
  });
  return [...folders, ...entries].sort(byPath);
}

const encodeCursor = (offset: number) => Buffer.from(`o:${offset}`).toString("base64url");

function decodeCursor(cursor: string | undefined, total: number): number {
  if (cursor === undefined) return 0;
  const match = /^o:(\d+)$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  const offset = match ? Number(match[1]) : NaN;
  if (!Number.isSafeInteger(offset) || offset > total) {
    throw new HubError(400, null, "The cursor is not valid. Start again from the first page (no cursor).");
  }
  return offset;
}

/** Where the client reached this server: the Host it named, or behind a proxy the host and scheme it forwards. */
function publicUrl(request: Request): URL {
  const url = new URL(request.url);
  const host = (request.headers.get("x-forwarded-host") ?? request.headers.get("host"))?.split(",")[0]?.trim();
  const proto = request.headers.get("x-forwarded-proto")?.split(",")[0]?.trim();
  if (host) url.host = host;
  if (proto === "http" || proto === "https") url.protocol = `${proto}:`;
  return url;
}

/**
 * `GET /api/models/{ns}/{name}/tree/{rev}/{path?}`: one page of entries and, when more follow, the
 * absolute URL of the next page for a `Link: <…>; rel="next"` header, as both Hub clients page.
 */
export async function listTree(
  db: Db,
  viewer: HubViewer,
  target: { ns: string; name: string; revision: string; path: string },
  query: TreeQuery,
  request: Request,
): Promise<{ entries: TreeEntry[]; next: string | null }> {
  const repo = await openRepo(db, viewer, target);
  const all = treeEntries(repo, await repoFiles(db, repo), { path: target.path, recursive: query.recursive, expand: query.expand });
  const offset = decodeCursor(query.cursor, all.length);
  const end = offset + query.limit;
  if (end >= all.length) return { entries: all.slice(offset), next: null };
  const next = publicUrl(request);
  next.searchParams.set("cursor", encodeCursor(end));
  return { entries: all.slice(offset, end), next: next.href };
}
