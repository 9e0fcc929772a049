import type { Metadata } from "next";
import Link from "next/link";
import { RetentionPolicies } from "@/components/retention-policies";
import { StorageOverview } from "@/components/storage-overview";
import { buttonClasses } from "@/components/ui/button";

export const metadata: Metadata = { title: "Storage" };

export default function StoragePage() {
  return (
    <div className="space-y-8">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div>
          <h1 className="text-xl font-semibold tracking-tight text-zinc-900">Storage</h1>
          <p className="mt-1 max-w-2xl text-sm text-zinc-500">
            A file stored by several checkpoints counts once against the quota. Deleting a checkpoint frees only what no other checkpoint holds.
          </p>
        </div>
        <Link href="/audit" className={buttonClasses({ variant: "secondary" })}>
          Audit log
        </Link>
      </div>
      <StorageOverview />
      <RetentionPolicies />
    </div>
  );
}
