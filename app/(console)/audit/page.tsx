import type { Metadata } from "next";
import { AuditLog } from "@/components/audit-log";

export const metadata: Metadata = { title: "Audit log" };

export default function AuditPage() {
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-xl font-semibold tracking-tight text-zinc-900">Audit log</h1>
        <p className="mt-1 text-sm text-zinc-500">Every deletion, by a person or a retention policy, with the bytes it gave back; and changes to policies.</p>
      </div>
      <AuditLog />
    </div>
  );
}
