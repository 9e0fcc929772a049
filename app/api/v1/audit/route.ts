import { parseQuery } from "@/lib/api/parse";
import { listAuditQuery } from "@/lib/api/schemas/audit";
import { withAuth } from "@/lib/api/with-auth";
import { listAudit } from "@/lib/audit/service";

export const GET = withAuth(
  async ({ request, db, caller }) => Response.json(await listAudit(db, { orgId: caller.orgId }, parseQuery(request, listAuditQuery))),
  { permission: "read" },
);
