import "server-only";
import { ApiError } from "@/lib/api/errors";
import type { AuditEventResponse, AuditList, ListAuditQuery } from "@/lib/api/schemas/audit";
import type { Db } from "@/lib/db/client";
import { listAuditEvents } from "@/lib/db/queries/audit";
import type { AuditEvent } from "@/lib/db/schema";

function presentEvent(row: AuditEvent): AuditEventResponse {
  return {
    id: String(row.id),
    at: row.at.toISOString(),
    actor: row.actor as AuditEventResponse["actor"],
    action: row.action,
    target: row.target,
    details: row.details,
  };
}

/** `GET /audit`: who deleted what, when and how many bytes it freed, newest first. */
export async function listAudit(db: Db, { orgId }: { orgId: string }, query: ListAuditQuery): Promise<AuditList> {
  const before = query.cursor === undefined ? undefined : Number(query.cursor);
  if (before !== undefined && (!Number.isSafeInteger(before) || before < 1)) {
    throw new ApiError("invalid_request", "The cursor is not valid. Start again from the first page.");
  }
  const { rows, hasMore, total } = await listAuditEvents(db, { orgId, limit: query.limit, before });
  const last = rows.at(-1);
  return { items: rows.map(presentEvent), nextCursor: hasMore && last ? String(last.id) : null, total };
}
