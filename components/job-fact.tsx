import type { ReactNode } from "react";
import { cn } from "./ui/cn";

/** One labelled fact of a job's summary (a `<dt>`/`<dd>` pair inside a `<dl>`). */
export function JobFact({ label, children, className }: { label: string; children: ReactNode; className?: string }) {
  return (
    <div className={cn("min-w-0", className)}>
      <dt className="text-xs font-medium text-zinc-500">{label}</dt>
      <dd className="mt-0.5 text-sm break-words text-zinc-900">{children}</dd>
    </div>
  );
}

export const factDash = <span className="text-zinc-400">—</span>;
