import { Badge, type BadgeTone } from "./badge";
import { cn } from "./cn";

/** How one status of a resource looks: its tone, its word, and whether work is under way. */
export type StatusLook = { tone: BadgeTone; label: string; live?: boolean };

/** A status badge with a dot that pulses while the work is in flight (checkpoints, jobs). */
export function StatusPill({ tone, label, live }: StatusLook) {
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
