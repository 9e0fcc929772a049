"use client";

import { useEffect, useState } from "react";
import type { JobStatus } from "@/lib/api/schemas/jobs";
import { cn } from "./ui/cn";

/** A running job's agent reports every second or so; silence past this is worth a look. */
export const STALE_HEARTBEAT_MS = 30_000;

/** `3 s ago`, `4 min ago`, `2 h ago`, `5 d ago`. */
export function formatSince(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
}

/**
 * When the job's agent last reported, ticking while the job runs; a running job's heartbeat
 * older than {@link STALE_HEARTBEAT_MS} turns amber and says the agent has gone quiet.
 */
export function JobHeartbeat({ at, status }: { at: string | null; status: JobStatus }) {
  const running = status === "running";
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [running]);

  if (!at) return <span className="text-zinc-500">{status === "queued" ? "not started yet" : running ? "no heartbeat yet" : "never reported"}</span>;
  const age = now - new Date(at).getTime();
  const stale = running && age > STALE_HEARTBEAT_MS;
  const title = `${new Date(at).toLocaleString()} (${at})`;
  return (
    <time
      dateTime={at}
      title={stale ? `${title}. The agent normally reports every second; if it stays silent, Cairn fails the job as "agent lost".` : title}
      className={cn("inline-block tabular-nums", stale && "font-medium text-amber-700")}
    >
      {/* May wrap: on a phone the facts' column is narrower than "last heartbeat 25 min ago". */}
      <span className="inline-flex items-center gap-1.5">
        {stale ? (
          <svg aria-hidden viewBox="0 0 16 16" className="size-3.5 shrink-0" fill="currentColor">
            <path d="M8 1.5a1 1 0 0 1 .87.5l6 10.5A1 1 0 0 1 14 14H2a1 1 0 0 1-.87-1.5l6-10.5A1 1 0 0 1 8 1.5Zm0 4a.75.75 0 0 0-.75.75v3a.75.75 0 0 0 1.5 0v-3A.75.75 0 0 0 8 5.5Zm0 6.75a.9.9 0 1 0 0-1.8.9.9 0 0 0 0 1.8Z" />
          </svg>
        ) : (
          running && <span aria-hidden className="size-1.5 animate-pulse rounded-full bg-emerald-500" />
        )}
        {running ? "" : "last "}heartbeat {formatSince(age)}
      </span>
      {stale && <span className="block text-xs font-normal">The agent has gone quiet.</span>}
    </time>
  );
}
