"use client";

import type { SourceType } from "@/lib/db/schema";
import type { AvailableSourceTypeOption } from "./source-types";
import { cn } from "./ui/cn";

/** Where the checkpoint's files come from: one card per source type this server offers. */
export function SourcePicker({
  options,
  value,
  onChange,
}: {
  options: AvailableSourceTypeOption[];
  value: SourceType;
  onChange: (type: SourceType) => void;
}) {
  return (
    <fieldset>
      <legend className="text-sm font-medium text-zinc-800">Source</legend>
      <div className="mt-1.5 grid gap-2 sm:grid-cols-2">
        {options
          .filter((option) => option.available)
          .map((option) => {
            const selected = option.type === value;
            return (
              <label
                key={option.type}
                className={cn(
                  "relative flex cursor-pointer gap-3 rounded-lg border bg-white p-3 transition-colors has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-accent-500",
                  selected ? "border-accent-500 bg-accent-50/60 ring-1 ring-accent-500" : "border-zinc-200 hover:border-zinc-300",
                )}
              >
                <input
                  type="radio"
                  name="sourceType"
                  value={option.type}
                  checked={selected}
                  onChange={() => onChange(option.type)}
                  className="mt-0.5 size-4 accent-accent-600"
                />
                <span>
                  <span className="block text-sm font-medium text-zinc-900">{option.label}</span>
                  <span className="mt-0.5 block text-xs text-zinc-500">{option.description}</span>
                </span>
              </label>
            );
          })}
      </div>
    </fieldset>
  );
}
