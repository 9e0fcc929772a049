import type { CheckpointStatus } from "@/lib/checkpoints/kinds";
import { StatusPill, type StatusLook } from "./ui/status-pill";

const look: Record<CheckpointStatus, StatusLook> = {
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

/** A job's output is being stored, not fetched from anywhere: the same state under its own word. */
const capturing: StatusLook = { tone: "accent", label: "Capturing", live: true };

export function StatusBadge({ status, sourceType }: { status: CheckpointStatus; sourceType?: string }) {
  return <StatusPill {...(status === "downloading" && sourceType === "job" ? capturing : look[status])} />;
}
