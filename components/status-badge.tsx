import type { CheckpointStatus } from "@/lib/db/schema";
import { Badge, type BadgeTone } from "./ui/badge";
import { cn } from "./ui/cn";

const look: Record<CheckpointStatus, { tone: BadgeTone; label: string; live?: boolean }> = {
  new: { tone: "neutral", label: "New", live: true },
  uploading: { tone: "accent", label: "Uploading", live: true },
  downloading: { tone: "accent", label: "Downloading", live: true },
  extracting: { tone: "accent", label: "Extracting", live: true },
  exporting: { tone: "accent", label: "Exporting", live: true },
  ready: { tone: "success", label: "Ready" },
  failed: { tone: "danger", label: "Failed" },
};

/** Every status with its label, in lifecycle order (the record above keeps it complete). */
export const statusOptions = (Object.keys(look) as CheckpointStatus[]).map((status) => ({ status, label: look[status].label }));

export function StatusBadge({ status }: { status: CheckpointStatus }) {
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
        )}
      />
      {label}
    </Badge>
  );
}
