import { z } from "zod";
import { pageOf } from "./common";

/** A glob over names (`a-z 0-9 . _ -`): `*` is any run of characters, `?` any one. */
const nameGlob = z
  .string()
  .min(1, "A glob cannot be empty.")
  .max(200, "A glob has at most 200 characters.")
  .regex(/^[a-z0-9._*?-]+$/, "Use a-z, 0-9, '.', '_', '-' and the wildcards * and ?.")
  .describe("A glob over names: * matches any run of characters, ? any one.");

export const retentionMatch = z.strictObject({
  jobName: nameGlob.optional().describe("Checkpoints captured from jobs whose name matches."),
  checkpointName: nameGlob.optional().describe("Checkpoints whose own name matches."),
});

export const keepBest = z.strictObject({
  k: z.number({ error: "k must be a whole number from 1 to 1000" }).int("k must be a whole number from 1 to 1000").min(1, "k must be a whole number from 1 to 1000").max(1000, "k must be a whole number from 1 to 1000"),
  metric: z
    .string()
    .min(1, "Name the metric, e.g. eval_loss.")
    .max(100, "A metric name has at most 100 characters.")
    .regex(/^[A-Za-z0-9_.:/-]+$/, "A metric name is letters, digits and _ . : / -, e.g. eval_loss.")
    .describe("A key of status.model.metrics (from trainer_state.json or a metrics file), e.g. eval_loss."),
  mode: z.enum(["min", "max"], { error: "mode must be min or max" }).describe("min keeps the lowest values (losses), max the highest (accuracies)."),
});

const keepLatest = z
  .number({ error: "keepLatest must be a whole number from 1 to 10000" })
  .int("keepLatest must be a whole number from 1 to 10000")
  .min(1, "keepLatest must be a whole number from 1 to 10000")
  .max(10_000, "keepLatest must be a whole number from 1 to 10000")
  .describe("Keep the N most recently created checkpoints that match.");

const ruleFields = { match: retentionMatch, keepLatest: keepLatest.optional(), keepBest: keepBest.optional().describe("Keep the K best by a metric.") };

/** A policy covers some checkpoints and keeps some of them; without either it would delete too much to be a mistake worth allowing. */
function checkRule(body: { match: z.infer<typeof retentionMatch>; keepLatest?: number; keepBest?: unknown }, ctx: z.RefinementCtx) {
  if (!body.match.jobName && !body.match.checkpointName) {
    ctx.addIssue({ code: "custom", path: ["match"], message: "Say which checkpoints the policy covers: a job name glob, a checkpoint name glob, or both." });
  }
  if (body.keepLatest === undefined && body.keepBest === undefined) {
    ctx.addIssue({ code: "custom", path: ["keepLatest"], message: "Say what to keep: the latest N, the best K by a metric, or both." });
  }
}

/** The rule alone: what a preview of an unsaved policy takes (the form previews before it saves). */
export const retentionRuleBody = z.strictObject(ruleFields).superRefine(checkRule);
export type RetentionRuleBody = z.infer<typeof retentionRuleBody>;

export const createRetentionPolicyBody = z
  .strictObject({ name: z.string().trim().min(1, "Name the policy.").max(100, "A policy name has at most 100 characters."), ...ruleFields })
  .superRefine(checkRule);
export type CreateRetentionPolicyBody = z.infer<typeof createRetentionPolicyBody>;

export const retentionPolicyResponse = z.object({
  id: z.string(),
  name: z.string(),
  match: z.object({ jobName: z.string().optional(), checkpointName: z.string().optional() }),
  keepLatest: z.number().nullable(),
  keepBest: keepBest.nullable(),
  /** The rule in a sentence: "keep the latest 3 and the best 2 by eval_loss (lowest)". */
  summary: z.string(),
  creatorUserID: z.string().nullable(),
  createdAt: z.string(),
  lastAppliedAt: z.string().nullable(),
});
export type RetentionPolicyResponse = z.infer<typeof retentionPolicyResponse>;
export const retentionPolicyListResponse = pageOf(retentionPolicyResponse);
export type RetentionPolicyList = z.infer<typeof retentionPolicyListResponse>;

export const keepReasons = ["pinned", "public", "in-use", "latest", "best", "facts-pending", "policy"] as const;
export type KeepReason = (typeof keepReasons)[number];

const previewItem = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  step: z.number().nullable(),
  /** The policy's metric for this checkpoint, when it has one. */
  metric: z.number().nullable(),
});

export const retentionPreviewResponse = z.object({
  /** Deleted oldest first; `bytesFreed` is what each deletion gives back in that order (they add up to the total). */
  delete: z.array(previewItem.extend({ bytesFreed: z.number(), logicalBytes: z.number() })),
  keep: z.array(previewItem.extend({ reason: z.enum(keepReasons), message: z.string() })),
  bytesFreed: z.number(),
  matched: z.number(),
});
export type RetentionPreviewResponse = z.infer<typeof retentionPreviewResponse>;

export const retentionApplyResponse = z.object({
  deleted: z.array(z.object({ id: z.string(), name: z.string(), bytesFreed: z.number() })),
  /** Planned but left alone at the last moment (pinned, attached to a job, being exported meanwhile). */
  skipped: z.array(z.object({ id: z.string(), name: z.string(), message: z.string() })),
  bytesFreed: z.number(),
});
export type RetentionApplyResponse = z.infer<typeof retentionApplyResponse>;
