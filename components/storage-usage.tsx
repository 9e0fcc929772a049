"use client";

import Link from "next/link";
import { useMe } from "@/lib/hooks/use-me";
import { formatBytes } from "@/lib/format";
import { Progress } from "./ui/progress";
import { Skeleton } from "./ui/skeleton";

/** The organization's stored bytes (each blob once) against its quota, linking to the Storage page. */
export function StorageUsage() {
  const { data: me, isPending, isError } = useMe();
  if (isError) return null;
  if (isPending) return <Skeleton className="h-9 w-64" />;
  const { usageBytes, quotaBytes } = me.org;
  const ratio = quotaBytes > 0 ? usageBytes / quotaBytes : 0;
  const text = `${formatBytes(usageBytes)} of ${formatBytes(quotaBytes)}`;
  return (
    <div className="w-64">
      <div className="flex items-baseline justify-between text-xs">
        <Link href="/storage" className="font-medium text-zinc-700 hover:underline">
          Storage
        </Link>
        <span className="text-zinc-500 tabular-nums">
          {text} · {Math.round(ratio * 100)}%
        </span>
      </div>
      <Progress
        className="mt-1.5"
        value={usageBytes}
        max={quotaBytes}
        label="Organization storage used"
        valueText={text}
        tone={ratio >= 0.95 ? "danger" : ratio >= 0.8 ? "warning" : "accent"}
      />
    </div>
  );
}
