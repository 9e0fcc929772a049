import type { KeepReason } from "@/lib/api/schemas/retention";

/** Shared by the server and the browser: how a rule and a reason to keep read in a sentence. */

type Rule = { keepLatest?: number | null; keepBest?: { k: number; metric: string; mode: "min" | "max" } | null };

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "Keep the latest 3 and the best 2 by eval_loss (lowest)". */
export function ruleSummary(rule: Rule): string {
  const parts: string[] = [];
  if (rule.keepLatest) parts.push(rule.keepLatest === 1 ? "the latest" : `the latest ${rule.keepLatest}`);
  if (rule.keepBest) {
    const { k, metric, mode } = rule.keepBest;
    parts.push(`${k === 1 ? "the best" : `the best ${k}`} by ${metric} (${mode === "min" ? "lowest" : "highest"})`);
  }
  return parts.length > 0 ? `Keep ${parts.join(" and ")}` : "Keep nothing";
}

export function keepMessage(reason: KeepReason, rule: Rule): string {
  switch (reason) {
    case "pinned":
      return "Pinned";
    case "public":
      return "Public, in the catalog";
    case "in-use":
      return "Attached to a queued or running job";
    case "latest":
      return `One of the latest ${plural(rule.keepLatest ?? 0, "checkpoint")}`;
    case "best":
      return `One of the best ${rule.keepBest?.k ?? 0} by ${rule.keepBest?.metric ?? "the metric"}`;
    case "facts-pending":
      return `Model facts not read yet, so its ${rule.keepBest?.metric ?? "metric"} is unknown`;
    case "policy":
      return "Kept by another retention policy";
  }
}
