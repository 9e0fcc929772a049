import "server-only";
import { createHash } from "node:crypto";
import { isComplete } from "@/lib/checkpoints/kinds";
import type { Db } from "@/lib/db/client";
import { listFiles } from "@/lib/db/queries/files";
import type { Checkpoint, Org } from "@/lib/db/schema";
import { findReadableRepo, type HubViewer } from "./access";
import { HubError } from "./errors";

export type ManifestFile = { path: string; size: number; sha256: string };

/** A checkpoint seen as a Hub model repo, at its one commit. */
export type HubRepo = {
  /** `<org-slug>/<checkpoint-name>`. */
  id: string;
  org: Org;
  checkpoint: Checkpoint;
  commit: string;
};

/** Code-unit order, the same on every database (SQL `order by` follows the collation). */
export const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/**
 * The commit sha of a manifest: SHA-1 over its `path\tsha256\tsize` lines in path order, 40 hex
 * digits like a git commit. It names the content, so it is the same on every replica and never
 * changes once the checkpoint is ready (files are frozen from then on); a rename keeps it.
 */
export function manifestCommit(files: readonly ManifestFile[]): string {
  const hash = createHash("sha1");
  for (const file of [...files].sort(byPath)) hash.update(`${file.path}\t${file.sha256}\t${file.size}\n`);
  return hash.digest("hex");
}

// Frozen content, so a computed commit holds for the checkpoint's life; bounded for long-running servers.
const commits = new Map<string, string>();
const MAX_REMEMBERED = 5000;

async function commitOf(db: Db, checkpoint: Checkpoint): Promise<string> {
  const known = commits.get(checkpoint.id);
  if (known) return known;
  const commit = manifestCommit(await listFiles(db, { checkpointId: checkpoint.id }));
  if (commits.size >= MAX_REMEMBERED) commits.delete(commits.keys().next().value ?? "");
  commits.set(checkpoint.id, commit);
  return commit;
}

/**
 * Whether `revision` names this checkpoint's content: `main` and `HEAD` (what the Python and JS
 * clients ask by default), the checkpoint's id, or its commit sha. A checkpoint has one version,
 * so there are no other branches or tags.
 */
export function namesCommit(revision: string, checkpoint: Checkpoint, commit: string): boolean {
  return revision === "main" || revision === "HEAD" || revision === checkpoint.id || revision.toLowerCase() === commit;
}

function assertComplete(repoId: string, checkpoint: Checkpoint): void {
  if (isComplete(checkpoint.status)) return;
  const why = checkpoint.status === "failed" ? "failed, so it has no files to read" : `still ${checkpoint.status}; it can be read once it is ready`;
  throw new HubError(404, "RevisionNotFound", `Repository ${repoId} has no revision yet: the checkpoint is ${why}.`);
}

function revisionNotFound(repo: { id: string; checkpoint: Checkpoint; commit: string }, revision: string): HubError {
  return new HubError(
    404,
    "RevisionNotFound",
    `Revision '${revision}' not found in ${repo.id}. Use main, HEAD, the checkpoint id ${repo.checkpoint.id} or the commit ${repo.commit}.`,
  );
}

/**
 * The repo `ns/name` at `revision` for this viewer: the checkpoint must be readable (else
 * RepoNotFound), complete and named by the revision (else RevisionNotFound).
 */
export async function openRepo(db: Db, viewer: HubViewer, { ns, name, revision }: { ns: string; name: string; revision: string }): Promise<HubRepo> {
  const { org, checkpoint } = await findReadableRepo(db, viewer, { ns, name });
  const id = `${org.slug}/${checkpoint.name}`;
  assertComplete(id, checkpoint);
  const repo = { id, org, checkpoint, commit: await commitOf(db, checkpoint) };
  if (!namesCommit(revision, checkpoint, repo.commit)) throw revisionNotFound(repo, revision);
  return repo;
}

/** The repo's files in path order (code units, as the commit is computed). */
export async function repoFiles(db: Db, repo: HubRepo): Promise<ManifestFile[]> {
  return (await listFiles(db, { checkpointId: repo.checkpoint.id })).sort(byPath);
}
