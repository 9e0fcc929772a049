"use client";

import { useEffect, useState } from "react";
import type { CheckpointStatus, SourceType } from "@/lib/checkpoints/kinds";
import { useDebouncedValue } from "@/lib/hooks/use-debounced-value";
import { modelFormats, type ModelFormat } from "@/lib/model-facts/kinds";
import { sourceTypeRegistry } from "./source-types";
import { statusOptions } from "./status-badge";
import { Input, Select } from "./ui/input";

export type CheckpointFilterValues = {
  q: string;
  status: CheckpointStatus | "";
  sourceType: SourceType | "";
  format: ModelFormat | "";
  architecture: string;
};

const formatLabels: Record<ModelFormat, string> = { safetensors: "safetensors", pytorch: "PyTorch", gguf: "GGUF", mixed: "Mixed formats" };

/** Search boxes (debounced) and the status, source type and weight format filters of the dashboard. */
export function CheckpointFilters({ values, onChange }: { values: CheckpointFilterValues; onChange: (values: Partial<CheckpointFilterValues>) => void }) {
  const [q, setQ] = useState(values.q);
  const debouncedQ = useDebouncedValue(q.trim(), 300);
  const [architecture, setArchitecture] = useState(values.architecture);
  const debouncedArchitecture = useDebouncedValue(architecture.trim(), 300);

  useEffect(() => {
    if (debouncedQ !== values.q) onChange({ q: debouncedQ });
    // Only a settled search text should reach the URL; `values.q` follows from it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [debouncedQ]);
  useEffect(() => {
    if (debouncedArchitecture !== values.architecture) onChange({ architecture: debouncedArchitecture });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [debouncedArchitecture]);

  return (
    <div role="search" className="flex flex-wrap items-center gap-2">
      <div className="relative w-full sm:w-72">
        <label htmlFor="checkpoint-search" className="sr-only">
          Search checkpoints by name
        </label>
        <svg aria-hidden viewBox="0 0 16 16" className="pointer-events-none absolute top-2.5 left-2.5 size-4 text-zinc-400" fill="none" stroke="currentColor" strokeWidth="1.5">
          <circle cx="7" cy="7" r="4.5" />
          <path d="M10.5 10.5L14 14" />
        </svg>
        <Input id="checkpoint-search" type="search" placeholder="Search by name…" value={q} onChange={(event) => setQ(event.target.value)} className="pl-8" />
      </div>
      <label htmlFor="status-filter" className="sr-only">
        Status
      </label>
      <Select id="status-filter" value={values.status} onChange={(event) => onChange({ status: event.target.value as CheckpointStatus | "" })} className="w-auto">
        <option value="">All statuses</option>
        {statusOptions.map(({ status, label }) => (
          <option key={status} value={status}>
            {label}
          </option>
        ))}
      </Select>
      <label htmlFor="source-filter" className="sr-only">
        Source type
      </label>
      <Select id="source-filter" value={values.sourceType} onChange={(event) => onChange({ sourceType: event.target.value as SourceType | "" })} className="w-auto">
        <option value="">All sources</option>
        {sourceTypeRegistry.map((option) => (
          <option key={option.type} value={option.type}>
            {option.label}
          </option>
        ))}
      </Select>
      <label htmlFor="format-filter" className="sr-only">
        Weight format
      </label>
      <Select id="format-filter" value={values.format} onChange={(event) => onChange({ format: event.target.value as ModelFormat | "" })} className="w-auto">
        <option value="">All formats</option>
        {modelFormats.map((format) => (
          <option key={format} value={format}>
            {formatLabels[format]}
          </option>
        ))}
      </Select>
      <label htmlFor="architecture-filter" className="sr-only">
        Architecture
      </label>
      <Input
        id="architecture-filter"
        placeholder="Architecture, e.g. LlamaForCausalLM"
        value={architecture}
        onChange={(event) => setArchitecture(event.target.value)}
        className="w-full sm:w-64"
      />
    </div>
  );
}
