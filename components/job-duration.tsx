"use client";

import { useEffect, useState } from "react";

/** `45s`, `12m 03s`, `2h 05m`, `3d 4h`: precise enough to compare runs at a glance. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, "0")}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${String(minutes % 60).padStart(2, "0")}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** How long the job has run: up to `finishedAt`, or ticking every second while it runs. */
export function JobDuration({ startedAt, finishedAt }: { startedAt: string | null; finishedAt: string | null }) {
  const running = Boolean(startedAt && !finishedAt);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [running]);

  if (!startedAt) return <span className="text-zinc-400">—</span>;
  const end = finishedAt ? new Date(finishedAt).getTime() : now;
  return (
    <span className="tabular-nums" title={finishedAt ? `${startedAt} → ${finishedAt}` : `since ${startedAt}`}>
      {formatDuration(end - new Date(startedAt).getTime())}
    </span>
  );
}
