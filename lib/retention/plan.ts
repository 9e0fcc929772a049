import type { KeepReason } from "@/lib/api/schemas/retention";
import type { KeepBest } from "@/lib/db/schema/retention";
import { keepMessage } from "./kinds";

export type PlanCandidate = {
  id: string;
  createdAt: Date;
  pinned: boolean;
  visibility: "private" | "public";
  inUse: boolean;
  factsRead: boolean;
  metric: number | null;
};

export type PlanRule = { keepLatest: number | null; keepBest: KeepBest | null };

export type RetentionPlan<C extends PlanCandidate> = {
  keep: { candidate: C; reason: KeepReason; message: string }[];
  /** Oldest first: the order they are deleted in. */
  delete: C[];
};

const newestFirst = (a: PlanCandidate, b: PlanCandidate) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/**
 * Which of the matched checkpoints a rule keeps, and why; the rest are deleted. Kept: pinned,
 * public and in-use ones always; the latest N by creation; the best K by the metric (ties go to
 * the newer); and, under a best-K rule, any whose facts are not read yet (its metric is unknown,
 * so it might be among the best). A checkpoint without the metric is not among the best.
 */
export function planRetention<C extends PlanCandidate>(candidates: C[], rule: PlanRule): RetentionPlan<C> {
  const sorted = [...candidates].sort(newestFirst);
  const latest = new Set(sorted.slice(0, rule.keepLatest ?? 0).map((c) => c.id));
  const best = new Set<string>();
  if (rule.keepBest) {
    const { k, mode } = rule.keepBest;
    const scored = sorted.filter((c) => c.metric !== null && Number.isFinite(c.metric));
    scored.sort((a, b) => ((mode === "min" ? (a.metric ?? 0) - (b.metric ?? 0) : (b.metric ?? 0) - (a.metric ?? 0)) || newestFirst(a, b)));
    for (const c of scored.slice(0, k)) best.add(c.id);
  }
  const reasonFor = (c: C): KeepReason | null => {
    if (c.pinned) return "pinned";
    if (c.visibility === "public") return "public";
    if (c.inUse) return "in-use";
    if (latest.has(c.id)) return "latest";
    if (best.has(c.id)) return "best";
    if (rule.keepBest && !c.factsRead) return "facts-pending";
    return null;
  };
  const plan: RetentionPlan<C> = { keep: [], delete: [] };
  for (const candidate of sorted) {
    const reason = reasonFor(candidate);
    if (reason) plan.keep.push({ candidate, reason, message: keepMessage(reason, rule) });
    else plan.delete.push(candidate);
  }
  plan.delete.reverse();
  return plan;
}

/**
 * What each deletion of `ordered` gives back when they go in that order: a blob held only inside
 * the set is freed by the last of them that holds it. The amounts add up to the set's total.
 */
export function bytesFreedInOrder(ordered: string[], held: { checkpointId: string; sha256: string; size: number; heldElsewhereInOrg: boolean }[]): Map<string, number> {
  const position = new Map(ordered.map((id, i) => [id, i]));
  const lastHolder = new Map<string, { at: number; size: number }>();
  for (const blob of held) {
    if (blob.heldElsewhereInOrg) continue;
    const at = position.get(blob.checkpointId) ?? -1;
    const seen = lastHolder.get(blob.sha256);
    if (!seen || at > seen.at) lastHolder.set(blob.sha256, { at, size: blob.size });
  }
  const freed = new Map(ordered.map((id) => [id, 0]));
  for (const { at, size } of lastHolder.values()) {
    const id = ordered[at];
    if (id !== undefined) freed.set(id, (freed.get(id) ?? 0) + size);
  }
  return freed;
}
