import type { JobStatus } from "@/lib/api/schemas/jobs";
import { StatusPill, type StatusLook } from "./ui/status-pill";

const look: Record<JobStatus, StatusLook> = {
  queued: { tone: "neutral", label: "Queued", live: true },
  running: { tone: "accent", label: "Running", live: true },
  succeeded: { tone: "success", label: "Succeeded" },
  failed: { tone: "danger", label: "Failed" },
  stopped: { tone: "warning", label: "Stopped" },
};

export const jobStatusOptions = (Object.keys(look) as JobStatus[]).map((status) => ({ status, label: look[status].label }));

export function JobStatusBadge({ status }: { status: JobStatus }) {
  return <StatusPill {...look[status]} />;
}
