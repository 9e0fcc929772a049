import type { CheckpointStatus } from "@/lib/db/schema";
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

export function StatusBadge({ status }: { status: CheckpointStatus }) {
  return <StatusPill {...look[status]} />;
}
