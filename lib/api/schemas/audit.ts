import { z } from "zod";
import { limitParam, pageOf } from "./common";

export const listAuditQuery = z.object({ limit: limitParam, cursor: z.string().max(100).optional() });
export type ListAuditQuery = z.infer<typeof listAuditQuery>;

export const auditEventResponse = z.object({
  id: z.string(),
  at: z.string(),
  /** `{kind: "user", id, name}` (name: the email), `{kind: "policy", id, name}` or `{kind: "system", name}`. */
  actor: z.object({ kind: z.enum(["user", "policy", "system"]), id: z.string().optional(), name: z.string() }),
  /** `checkpoint.delete`, `retention-policy.create`, `retention-policy.delete`. */
  action: z.string(),
  target: z.object({ kind: z.string(), id: z.string(), name: z.string() }),
  /** For a deletion: `bytesFreed`, `logicalBytes`, `fileCount`, and `reason` (the rule) when a policy did it. */
  details: z.record(z.string(), z.unknown()),
});
export type AuditEventResponse = z.infer<typeof auditEventResponse>;
export const auditListResponse = pageOf(auditEventResponse);
export type AuditList = z.infer<typeof auditListResponse>;
