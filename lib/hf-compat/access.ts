import "server-only";
import { ApiError } from "@/lib/api/errors";
import { resolveCaller } from "@/lib/auth/caller";
import { config } from "@/lib/config";
import type { Db } from "@/lib/db/client";
import { findOrgBySlug, listMembershipsOfUser } from "@/lib/db/queries/accounts";
import { findCheckpoint } from "@/lib/db/queries/checkpoints";
import { attachmentsOf } from "@/lib/db/queries/jobs";
import type { Checkpoint, Org } from "@/lib/db/schema";
import { HubError, INVALID_CREDENTIALS } from "./errors";

/**
 * Who reads through the Hub-compatible endpoints: nobody (no token), a user with the organizations
 * they belong to, or a job's agent token with the checkpoints its job attaches (the only ones it
 * may read, as on the API).
 */
export type HubViewer =
  | { kind: "anonymous" }
  | { kind: "user"; orgIds: ReadonlySet<string> }
  | { kind: "job"; checkpointIds: ReadonlySet<string> };

/**
 * The viewer of a request: `Authorization: Bearer <Cairn token>` (what `HF_TOKEN` sends) or the
 * console's session. No credentials is anonymous; credentials that are not valid answer 401 with
 * the Hub's "invalid credentials" message, so the clients say the token is wrong rather than the
 * repo missing.
 */
export async function hubViewer(db: Db, request: Request): Promise<HubViewer> {
  try {
    const caller = await resolveCaller(db, request);
    if (caller.job) {
      const attached = await attachmentsOf(db, { jobIds: [caller.job.id] });
      return { kind: "job", checkpointIds: new Set(attached.map((a) => a.checkpointId)) };
    }
    const memberships = await listMembershipsOfUser(db, { userId: caller.user.id });
    return { kind: "user", orgIds: new Set(memberships.map((m) => m.orgId)) };
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    // Signed in but in no organization: the public catalog is all such a user sees.
    if (error.code === "forbidden") return { kind: "user", orgIds: new Set() };
    if (error.code !== "unauthorized") throw error;
    if (!request.headers.has("authorization")) return { kind: "anonymous" };
    throw new HubError(401, null, `${INVALID_CREDENTIALS}. ${error.message} Set HF_TOKEN to a Cairn API token.`, {
      "x-error-message": INVALID_CREDENTIALS,
    });
  }
}

function mayRead(viewer: HubViewer, checkpoint: Checkpoint): boolean {
  if (viewer.kind === "job") return viewer.checkpointIds.has(checkpoint.id);
  if (viewer.kind === "user" && viewer.orgIds.has(checkpoint.orgId)) return true;
  if (checkpoint.visibility !== "public") return false;
  return viewer.kind === "user" || config().hfPublicRead;
}

/**
 * The checkpoint a repo id names, `<org-slug>/<checkpoint-name>`, when the viewer may read it.
 * Checkpoint names never hold '/', so every checkpoint has exactly one repo id (one holding `--`
 * or `..` is refused by huggingface_hub's own repo-id check before it calls). Anything the viewer
 * may not read answers as a repo that does not exist, the same whether it exists or not: 401 to
 * an anonymous caller (as the Hub answers private and missing repos alike), 404 to anyone else.
 */
export async function findReadableRepo(db: Db, viewer: HubViewer, { ns, name }: { ns: string; name: string }): Promise<{ org: Org; checkpoint: Checkpoint }> {
  const org = await findOrgBySlug(db, ns);
  const checkpoint = org ? await findCheckpoint(db, { orgId: org.id, name }) : null;
  if (org && checkpoint && mayRead(viewer, checkpoint)) return { org, checkpoint };
  const repoId = `${ns}/${name}`;
  if (viewer.kind === "anonymous") {
    throw new HubError(
      401,
      "RepoNotFound",
      `Repository ${repoId} not found, or it is private. Set HF_TOKEN to a Cairn API token of a member of its organization (create one on the Tokens page).`,
    );
  }
  throw new HubError(
    404,
    "RepoNotFound",
    `Repository ${repoId} not found. A repo id is <organization slug>/<checkpoint name> (the slug is on the Members page); a private checkpoint is readable only by its organization's members.`,
  );
}
