import type { JobStatus } from "@/lib/api/schemas/jobs";
import { Badge, type BadgeTone } from "./ui/badge";
import { cn } from "./ui/cn";

const look: Record<JobStatus, { tone: BadgeTone; label: string; live?: boolean }> = {
  queued: { tone: "neutral", label: "Queued", live: true },
  running: { tone: "accent", label: "Running", live: true },
  succeeded: { tone: "success", label: "Succeeded" },
  failed: { tone: "danger", label: "Failed" },
  stopped: { tone: "warning", label: "Stopped" },
};

export const jobStatusOptions = (Object.keys(look) as JobStatus[]).map((status) => ({ status, label: look[status].label }));

export function JobStatusBadge({ status }: { status: JobStatus }) {
  const { tone, label, live } = look[status];
  return (
    <Badge tone={tone}>
      <span
        aria-hidden
        className={cn(
          "size-1.5 rounded-full bg-current",
          live && "animate-pulse",
          tone === "success" && "text-emerald-500",
          tone === "danger" && "text-red-500",
          tone === "warning" && "text-amber-500",
        )}
      />
      {label}
    </Badge>
  );
}
