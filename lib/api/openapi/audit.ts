import { auditEventResponse, auditListResponse, listAuditQuery } from "@/lib/api/schemas/audit";
import { json, responseComponent, type Area } from "./registry";

responseComponent("AuditEvent", auditEventResponse);

export const auditArea: Area = {
  tag: "Audit",
  description: "Who deleted what, by hand or by a retention policy, with the bytes it gave back; and changes to policies.",
  operations: [
    {
      id: "listAudit",
      method: "get",
      path: "/api/v1/audit",
      summary: "The audit log",
      access: { kind: "user", permission: "read" },
      query: listAuditQuery,
      responses: { 200: json("One page of events, newest first.", responseComponent("AuditList", auditListResponse)) },
    },
  ],
};
