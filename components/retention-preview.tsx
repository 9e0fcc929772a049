"use client";

import Link from "next/link";
import type { RetentionPreviewResponse } from "@/lib/api/schemas/retention";
import { formatBytes } from "@/lib/format";
import { Badge, type BadgeTone } from "./ui/badge";

const SHOWN = 12;

const reasonTone: Record<RetentionPreviewResponse["keep"][number]["reason"], BadgeTone> = {
  pinned: "accent",
  public: "accent",
  "in-use": "warning",
  latest: "neutral",
  best: "success",
  "facts-pending": "warning",
  policy: "neutral",
};

const reasonLabel: Record<RetentionPreviewResponse["keep"][number]["reason"], string> = {
  pinned: "Pinned",
  public: "Public",
  "in-use": "In use",
  latest: "Latest",
  best: "Best",
  "facts-pending": "Facts pending",
  policy: "Other policy",
};

const metricText = (metric: number | null, name?: string) => (metric === null ? null : `${name ?? "metric"} ${Number(metric.toPrecision(4))}`);

function More({ count }: { count: number }) {
  return count > 0 ? <li className="py-1.5 text-xs text-zinc-500">and {count.toLocaleString()} more</li> : null;
}

/** What a policy would do now: the checkpoints it deletes (oldest first, with the bytes each frees) and why the rest stay. */
export function RetentionPreview({ preview, metric, busy = false }: { preview: RetentionPreviewResponse; metric?: string; busy?: boolean }) {
  const { delete: doomed, keep } = preview;
  return (
    <div className={busy ? "opacity-60 transition-opacity" : undefined} aria-busy={busy || undefined}>
      <p role="status" className="text-sm text-zinc-700">
        {preview.matched === 0 ? (
          "No ready checkpoint matches yet. The policy applies to new ones as they arrive."
        ) : doomed.length === 0 ? (
          <>
            Would delete nothing now: all {preview.matched.toLocaleString()} matching {preview.matched === 1 ? "checkpoint is" : "checkpoints are"} kept.
          </>
        ) : (
          <>
            Would delete <strong className="font-semibold text-zinc-900">{doomed.length.toLocaleString()}</strong> of {preview.matched.toLocaleString()} matching
            checkpoints, freeing <strong className="font-semibold text-zinc-900">{formatBytes(preview.bytesFreed)}</strong>.
          </>
        )}
      </p>
      {preview.matched > 0 && (
        <div className="mt-3 grid gap-4 md:grid-cols-2">
          <div>
            <h4 className="text-xs font-semibold tracking-wider text-red-700 uppercase">Deleted ({doomed.length})</h4>
            <ul className="mt-1 divide-y divide-zinc-100" aria-label="Checkpoints the policy would delete">
              {doomed.slice(0, SHOWN).map((item) => (
                <li key={item.id} className="flex items-center justify-between gap-3 py-1.5 text-sm">
                  <span className="min-w-0">
                    <Link href={`/checkpoints/${encodeURIComponent(item.name)}`} className="block truncate font-mono text-xs text-zinc-800 hover:underline">
                      {item.name}
                    </Link>
                    {item.metric !== null && <span className="text-xs text-zinc-500 tabular-nums">{metricText(item.metric, metric)}</span>}
                  </span>
                  <span className="shrink-0 text-xs text-zinc-600 tabular-nums" title={`${item.bytesFreed.toLocaleString()} bytes freed of ${item.logicalBytes.toLocaleString()}`}>
                    frees {formatBytes(item.bytesFreed)}
                  </span>
                </li>
              ))}
              <More count={doomed.length - SHOWN} />
              {doomed.length === 0 && <li className="py-1.5 text-xs text-zinc-500">Nothing</li>}
            </ul>
          </div>
          <div>
            <h4 className="text-xs font-semibold tracking-wider text-emerald-700 uppercase">Kept ({keep.length})</h4>
            <ul className="mt-1 divide-y divide-zinc-100" aria-label="Checkpoints the policy keeps">
              {keep.slice(0, SHOWN).map((item) => (
                <li key={item.id} className="flex items-center justify-between gap-3 py-1.5 text-sm">
                  <span className="min-w-0">
                    <Link href={`/checkpoints/${encodeURIComponent(item.name)}`} className="block truncate font-mono text-xs text-zinc-800 hover:underline">
                      {item.name}
                    </Link>
                    {item.metric !== null && <span className="text-xs text-zinc-500 tabular-nums">{metricText(item.metric, metric)}</span>}
                  </span>
                  <Badge tone={reasonTone[item.reason]} className="shrink-0" title={item.message}>
                    {reasonLabel[item.reason]}
                  </Badge>
                </li>
              ))}
              <More count={keep.length - SHOWN} />
            </ul>
          </div>
        </div>
      )}
    </div>
  );
}
