"use client";

import { useState } from "react";
import type { CheckpointResponse } from "@/lib/api/schemas/checkpoints";
import { useCheckpointYaml } from "@/lib/hooks/use-checkpoints";
import { cn } from "./ui/cn";
import { CopyButton } from "./ui/copy-button";
import { ErrorState } from "./ui/error-state";
import { Skeleton } from "./ui/skeleton";

type Format = "yaml" | "json";

/** The checkpoint object as `inspect` shows it, in YAML or JSON, with copy. */
export function CheckpointInspect({ checkpoint }: { checkpoint: CheckpointResponse }) {
  const [format, setFormat] = useState<Format>("yaml");
  const yaml = useCheckpointYaml(checkpoint.metadata.id, checkpoint.status.updatedAt, format === "yaml");
  const json = JSON.stringify(checkpoint, null, 2);
  const text = format === "json" ? json : yaml.data;

  return (
    <section aria-labelledby="inspect-heading" className="rounded-lg border border-zinc-200 bg-white shadow-sm">
      <div className="flex items-center justify-between gap-3 border-b border-zinc-200 px-4 py-2.5">
        <h2 id="inspect-heading" className="text-sm font-semibold text-zinc-900">
          Inspect
        </h2>
        <div className="flex items-center gap-2">
          <div role="radiogroup" aria-label="Format" className="inline-flex rounded-md border border-zinc-200 bg-zinc-50 p-0.5">
            {(["yaml", "json"] as const).map((option) => (
              <button
                key={option}
                type="button"
                role="radio"
                aria-checked={format === option}
                onClick={() => setFormat(option)}
                className={cn(
                  "rounded px-2 py-0.5 text-xs font-medium uppercase",
                  format === option ? "bg-white text-zinc-900 shadow-sm" : "text-zinc-500 hover:text-zinc-800",
                )}
              >
                {option}
              </button>
            ))}
          </div>
          <CopyButton value={text ?? ""} disabled={!text} label={`Copy ${format.toUpperCase()}`} />
        </div>
      </div>
      {format === "yaml" && yaml.isPending ? (
        <div className="space-y-2 p-4" aria-busy="true" aria-label="Loading YAML">
          {Array.from({ length: 8 }, (_, i) => (
            <Skeleton key={i} className={cn("h-3.5", i % 3 === 0 ? "w-1/3" : i % 3 === 1 ? "w-2/3" : "w-1/2")} />
          ))}
        </div>
      ) : format === "yaml" && yaml.isError ? (
        <div className="p-4">
          <ErrorState title="Could not load the YAML" error={yaml.error} onRetry={() => void yaml.refetch()} />
        </div>
      ) : (
        <pre
          tabIndex={0}
          aria-label={`Checkpoint as ${format.toUpperCase()}`}
          className="max-h-[28rem] overflow-auto p-4 font-mono text-xs leading-relaxed text-zinc-800"
        >
          {text}
        </pre>
      )}
    </section>
  );
}
