import "server-only";
import { ApiError, notFound } from "@/lib/api/errors";
import { uuidParam } from "@/lib/api/schemas/common";
import type { CreateRetentionPolicyBody, RetentionApplyResponse, RetentionPolicyList, RetentionPolicyResponse, RetentionPreviewResponse, RetentionRuleBody } from "@/lib/api/schemas/retention";
import type { Caller } from "@/lib/auth/caller";
import { deleteCheckpoint } from "@/lib/checkpoints/delete";
import type { Db } from "@/lib/db/client";
import { insertAuditEvent } from "@/lib/db/queries/audit";
import {
  deleteRetentionPolicy,
  findRetentionPolicy,
  insertRetentionPolicy,
  listRetentionPolicies,
  markRetentionApplied,
  orgsWithRetentionPolicies,
  retentionCandidates,
  type RetentionCandidate,
} from "@/lib/db/queries/retention";
import { blobsHeldBy } from "@/lib/db/queries/storage";
import type { RetentionPolicy } from "@/lib/db/schema";
import { ruleSummary } from "./kinds";
import { bytesFreedInOrder, planRetention, type PlanRule } from "./plan";

type OrgScope = { orgId: string };

export function presentPolicy(row: RetentionPolicy): RetentionPolicyResponse {
  return {
    id: row.id,
    name: row.name,
    match: row.match,
    keepLatest: row.keepLatest,
    keepBest: row.keepBest,
    summary: ruleSummary(row),
    creatorUserID: row.creatorUserId,
    createdAt: row.createdAt.toISOString(),
    lastAppliedAt: row.lastAppliedAt?.toISOString() ?? null,
  };
}

const asRule = (body: RetentionRuleBody): PlanRule & { match: RetentionRuleBody["match"] } => ({
  match: body.match,
  keepLatest: body.keepLatest ?? null,
  keepBest: body.keepBest ?? null,
});

async function policyOf(db: Db, { orgId, id }: OrgScope & { id: string }): Promise<RetentionPolicy> {
  const row = await findRetentionPolicy(db, { orgId, id: uuidParam(id, "retention policy") });
  if (!row) throw notFound(`Retention policy '${id}'`);
  return row;
}

export async function listPolicies(db: Db, { orgId }: OrgScope): Promise<RetentionPolicyList> {
  const rows = await listRetentionPolicies(db, { orgId });
  return { items: rows.map(presentPolicy), nextCursor: null, total: rows.length };
}

export async function getPolicy(db: Db, scope: OrgScope & { id: string }) {
  return presentPolicy(await policyOf(db, scope));
}

export async function createPolicy(db: Db, caller: Caller, body: CreateRetentionPolicyBody) {
  const rule = asRule(body);
  const row = await db.transaction(async (tx) => {
    const created = await insertRetentionPolicy(tx, { orgId: caller.orgId, name: body.name, ...rule, creatorUserId: caller.user.id });
    await insertAuditEvent(tx, {
      orgId: caller.orgId,
      actor: { kind: "user", id: caller.user.id, name: caller.user.email },
      action: "retention-policy.create",
      target: { kind: "retention-policy", id: created.id, name: created.name },
      details: { match: rule.match, summary: ruleSummary(rule) },
    });
    return created;
  });
  return presentPolicy(row);
}

export async function removePolicy(db: Db, caller: Caller, id: string) {
  const row = await policyOf(db, { orgId: caller.orgId, id });
  await db.transaction(async (tx) => {
    if (!(await deleteRetentionPolicy(tx, { orgId: caller.orgId, id: row.id }))) throw notFound(`Retention policy '${id}'`);
    await insertAuditEvent(tx, {
      orgId: caller.orgId,
      actor: { kind: "user", id: caller.user.id, name: caller.user.email },
      action: "retention-policy.delete",
      target: { kind: "retention-policy", id: row.id, name: row.name },
      details: { match: row.match, summary: ruleSummary(row) },
    });
  });
}

/** The checkpoints the org's other policies keep (a checkpoint goes only when no policy that matches it keeps it). */
async function keptByOtherPolicies(db: Db, { orgId, except }: OrgScope & { except?: string }): Promise<Set<string>> {
  const kept = new Set<string>();
  for (const policy of await listRetentionPolicies(db, { orgId })) {
    if (policy.id === except) continue;
    const candidates = await retentionCandidates(db, { orgId, match: policy.match, metric: policy.keepBest?.metric ?? null });
    for (const { candidate } of planRetention(candidates, policy).keep) kept.add(candidate.id);
  }
  return kept;
}

type Planned = { preview: RetentionPreviewResponse; doomed: RetentionCandidate[] };

async function plan(db: Db, { orgId, rule, except }: OrgScope & { rule: ReturnType<typeof asRule>; except?: string }): Promise<Planned> {
  const candidates = await retentionCandidates(db, { orgId, match: rule.match, metric: rule.keepBest?.metric ?? null });
  const own = planRetention(candidates, rule);
  const others = own.delete.length > 0 ? await keptByOtherPolicies(db, { orgId, except }) : new Set<string>();
  const doomed = own.delete.filter((c) => !others.has(c.id));
  const spared = own.delete.filter((c) => others.has(c.id)).map((candidate) => ({ candidate, reason: "policy" as const, message: "Kept by another retention policy" }));
  const held = await blobsHeldBy(db, { orgId, checkpointIds: doomed.map((c) => c.id) });
  const freed = bytesFreedInOrder(
    doomed.map((c) => c.id),
    held,
  );
  const item = (c: RetentionCandidate) => ({ id: c.id, name: c.name, createdAt: c.createdAt.toISOString(), step: c.step, metric: c.metric });
  const deletions = doomed.map((c) => ({ ...item(c), bytesFreed: freed.get(c.id) ?? 0, logicalBytes: c.size }));
  return {
    doomed,
    preview: {
      delete: deletions,
      keep: [...own.keep, ...spared].map(({ candidate, reason, message }) => ({ ...item(candidate), reason, message })),
      bytesFreed: deletions.reduce((sum, d) => sum + d.bytesFreed, 0),
      matched: candidates.length,
    },
  };
}

/** `POST /retention-policies/preview`: what an unsaved rule would delete now, and the bytes that frees. */
export async function previewRule(db: Db, { orgId }: OrgScope, body: RetentionRuleBody): Promise<RetentionPreviewResponse> {
  return (await plan(db, { orgId, rule: asRule(body) })).preview;
}

/** `POST /retention-policies/{id}/preview`: what applying the saved policy would delete now. */
export async function previewPolicy(db: Db, scope: OrgScope & { id: string }): Promise<RetentionPreviewResponse> {
  const policy = await policyOf(db, scope);
  return (await plan(db, { orgId: scope.orgId, rule: policy, except: policy.id })).preview;
}

/**
 * Applies one policy: deletes what its plan deletes, oldest first, each through the two-phase
 * delete with the policy as the actor (so the audit log names the rule). One that became pinned,
 * public, attached or exported since the plan is skipped, not forced.
 */
export async function applyPolicy(db: Db, policy: RetentionPolicy): Promise<RetentionApplyResponse> {
  const { doomed } = await plan(db, { orgId: policy.orgId, rule: policy, except: policy.id });
  const result: RetentionApplyResponse = { deleted: [], skipped: [], bytesFreed: 0 };
  const reason = `${ruleSummary(policy)} of ${[policy.match.jobName && `jobs '${policy.match.jobName}'`, policy.match.checkpointName && `checkpoints '${policy.match.checkpointName}'`].filter(Boolean).join(" and ")}`;
  for (const candidate of doomed) {
    try {
      const outcome = await deleteCheckpoint(db, { orgId: policy.orgId, ref: candidate.id, actor: { kind: "policy", id: policy.id, name: policy.name }, reason });
      result.deleted.push({ id: candidate.id, name: candidate.name, bytesFreed: outcome.bytesFreed });
      result.bytesFreed += outcome.bytesFreed;
    } catch (error) {
      if (!(error instanceof ApiError) || (error.code !== "conflict" && error.code !== "not_found")) throw error;
      result.skipped.push({ id: candidate.id, name: candidate.name, message: error.message });
    }
  }
  await markRetentionApplied(db, { orgId: policy.orgId, id: policy.id });
  return result;
}

/** `POST /retention-policies/{id}/apply`: the same as the hourly pass does, now. */
export async function applyPolicyNow(db: Db, scope: OrgScope & { id: string }): Promise<RetentionApplyResponse> {
  return applyPolicy(db, await policyOf(db, scope));
}

/** Applies every policy of the org, one after the other; returns the bytes freed. */
export async function applyOrgPolicies(db: Db, { orgId }: OrgScope): Promise<number> {
  let freed = 0;
  for (const policy of await listRetentionPolicies(db, { orgId })) {
    const result = await applyPolicy(db, policy);
    freed += result.bytesFreed;
    if (result.deleted.length > 0) {
      console.log(`retention: policy '${policy.name}' of org ${orgId} deleted ${result.deleted.length} checkpoints, freeing ${result.bytesFreed} bytes`);
    }
  }
  return freed;
}

/** The hourly pass: every organization with a policy. One org's failure does not stop the others. */
export async function applyAllPolicies(db: Db): Promise<void> {
  for (const orgId of await orgsWithRetentionPolicies(db)) {
    await applyOrgPolicies(db, { orgId }).catch((error) => console.error(`retention: applying the policies of org ${orgId} failed`, error));
  }
}
