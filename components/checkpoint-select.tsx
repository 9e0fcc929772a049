"use client";

import { useId, useRef, useState, type KeyboardEvent } from "react";
import type { CheckpointResponse } from "@/lib/api/schemas/checkpoints";
import type { SourceType } from "@/lib/checkpoints/kinds";
import { useCheckpointOptions } from "@/lib/hooks/use-catalog";
import { useDebouncedValue } from "@/lib/hooks/use-debounced-value";
import { formatAge, formatBytes } from "@/lib/format";
import { factsSummary } from "@/lib/model-facts/kinds";
import { sourceTypeLabel } from "./source-types";
import { cn } from "./ui/cn";
import { Switch } from "./ui/switch";

/** A checkpoint picked for a job; `ref` is what the API gets (the id once known, else the name). */
export type SelectedCheckpoint = {
  ref: string;
  name: string;
  public: boolean;
  size?: number;
  sourceType?: SourceType;
  /** A catalog checkpoint's license (model facts): attaching it asks the user to accept it once. */
  license?: string | null;
  acceptLicense?: boolean;
};

export function toSelected(checkpoint: CheckpointResponse, fromCatalog: boolean): SelectedCheckpoint {
  return {
    ref: checkpoint.metadata.id,
    name: checkpoint.metadata.name,
    public: fromCatalog,
    size: checkpoint.status.size,
    sourceType: checkpoint.spec.sourceType,
    license: fromCatalog ? (checkpoint.status.model?.license ?? null) : null,
  };
}

/** One checkpoint is attached once, whether it was found in the org or in the catalog. */
const sameSelection = (a: SelectedCheckpoint, b: SelectedCheckpoint) => a.ref === b.ref;

function OptionRow({ checkpoint, catalog }: { checkpoint: CheckpointResponse; catalog: boolean }) {
  const { metadata, spec, status } = checkpoint;
  return (
    <span className="flex min-w-0 flex-1 items-baseline justify-between gap-3">
      <span className="min-w-0">
        <span className="block truncate font-mono text-sm text-zinc-900">{metadata.name}</span>
        {status.model && factsSummary(status.model) && <span className="block truncate text-xs text-zinc-500">{factsSummary(status.model)}</span>}
      </span>
      <span className="shrink-0 text-xs text-zinc-500 tabular-nums">
        {formatBytes(status.size)} · {formatAge(status.createdAt)} · {sourceTypeLabel(spec.sourceType)}
        {catalog && " · public"}
      </span>
    </span>
  );
}

function Chip({ item, problem, onRemove }: { item: SelectedCheckpoint; problem?: string; onRemove: () => void }) {
  return (
    <li
      className={cn(
        "inline-flex max-w-full items-center gap-1 rounded-md py-0.5 pr-0.5 pl-2 text-xs ring-1 ring-inset",
        problem ? "bg-red-50 text-red-800 ring-red-300" : "bg-accent-50 text-accent-700 ring-accent-200",
      )}
      title={problem}
    >
      <span className="truncate font-mono">{item.name}</span>
      {item.public && <span className="rounded bg-white/70 px-1 text-[10px] font-semibold tracking-wide uppercase">public</span>}
      {item.size !== undefined && <span className="text-zinc-500 tabular-nums">{formatBytes(item.size)}</span>}
      <button
        type="button"
        aria-label={`Remove ${item.name}`}
        onClick={onRemove}
        className="rounded p-0.5 text-current/70 hover:bg-white hover:text-current"
      >
        <svg aria-hidden viewBox="0 0 16 16" className="size-3" fill="none" stroke="currentColor" strokeWidth="2">
          <path d="M4 4l8 8M12 4l-8 8" />
        </svg>
      </button>
    </li>
  );
}

/**
 * A searchable multi-select over `ready` checkpoints (ARIA 1.2 combobox with a listbox popup):
 * typing searches on the server, ArrowUp/Down move, Enter picks or unpicks, Escape closes,
 * Backspace in an empty box removes the last pick. *Public* switches the search to the catalog.
 */
export function CheckpointSelect({
  id,
  value,
  onChange,
  catalog,
  onCatalogChange,
  problems = {},
  invalid,
  describedBy,
}: {
  id: string;
  value: SelectedCheckpoint[];
  onChange: (value: SelectedCheckpoint[]) => void;
  catalog: boolean;
  onCatalogChange: (catalog: boolean) => void;
  /** Per-checkpoint messages from the API, keyed by ref or name. */
  problems?: Record<string, string>;
  invalid?: boolean;
  describedBy?: string;
}) {
  const listboxId = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const [text, setText] = useState("");
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const q = useDebouncedValue(text.trim(), 200);
  const options = useCheckpointOptions({ q, catalog }, { enabled: open });
  const items = options.data?.items ?? [];
  const activeIndex = active < items.length ? active : -1;
  const optionId = (index: number) => `${listboxId}-option-${index}`;

  const isPicked = (checkpoint: CheckpointResponse) => value.some((item) => sameSelection(item, toSelected(checkpoint, catalog)));

  function toggle(checkpoint: CheckpointResponse) {
    const picked = toSelected(checkpoint, catalog);
    onChange(value.some((item) => sameSelection(item, picked)) ? value.filter((item) => !sameSelection(item, picked)) : [...value, picked]);
    setText("");
    inputRef.current?.focus();
  }

  function move(delta: number) {
    if (!open) {
      setOpen(true);
      setActive(delta > 0 ? 0 : items.length - 1);
      return;
    }
    if (items.length === 0) return;
    setActive((current) => (current < 0 ? (delta > 0 ? 0 : items.length - 1) : (current + delta + items.length) % items.length));
  }

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    switch (event.key) {
      case "ArrowDown":
      case "ArrowUp":
        event.preventDefault();
        move(event.key === "ArrowDown" ? 1 : -1);
        break;
      case "Enter":
        // Never submit the surrounding form from the search box.
        event.preventDefault();
        if (open && activeIndex >= 0) toggle(items[activeIndex]);
        break;
      case "Escape":
        if (open) {
          event.preventDefault();
          setOpen(false);
          setActive(-1);
        } else if (text) {
          event.preventDefault();
          setText("");
        }
        break;
      case "Backspace":
        if (text === "" && value.length > 0) onChange(value.slice(0, -1));
        break;
      case "Tab":
        setOpen(false);
        break;
    }
  }

  const expanded = open;
  return (
    <div className="space-y-2">
      <div
        className={cn(
          "relative rounded-md border bg-white shadow-sm focus-within:outline-2 focus-within:outline-accent-500",
          invalid ? "border-red-400" : "border-zinc-300",
        )}
      >
        <div className="flex flex-wrap items-center gap-1.5 px-2 py-1.5">
          {value.length > 0 && (
            <ul aria-label="Selected checkpoints" className="contents">
              {value.map((item) => (
                <Chip
                  key={`${item.public}-${item.ref}`}
                  item={item}
                  problem={problems[item.ref] ?? problems[item.name]}
                  onRemove={() => onChange(value.filter((other) => !sameSelection(other, item)))}
                />
              ))}
            </ul>
          )}
          <input
            ref={inputRef}
            id={id}
            type="text"
            role="combobox"
            aria-expanded={expanded}
            aria-controls={listboxId}
            aria-autocomplete="list"
            aria-activedescendant={expanded && activeIndex >= 0 ? optionId(activeIndex) : undefined}
            aria-invalid={invalid || undefined}
            aria-describedby={describedBy}
            autoComplete="off"
            spellCheck={false}
            value={text}
            placeholder={catalog ? "Search the public catalog…" : "Search ready checkpoints…"}
            onChange={(event) => {
              setText(event.target.value);
              setOpen(true);
              setActive(-1);
            }}
            onKeyDown={onKeyDown}
            onFocus={() => setOpen(true)}
            onBlur={() => setOpen(false)}
            className="h-7 min-w-40 flex-1 bg-transparent px-1 text-sm text-zinc-900 placeholder:text-zinc-400 focus:outline-none"
          />
        </div>
        <ul
          id={listboxId}
          role="listbox"
          aria-multiselectable="true"
          aria-label={catalog ? "Public checkpoints" : "Ready checkpoints"}
          hidden={!expanded}
          className="absolute inset-x-0 top-full z-20 mt-1 max-h-72 overflow-auto rounded-md border border-zinc-200 bg-white py-1 shadow-lg"
        >
          {items.map((checkpoint, index) => {
            const picked = isPicked(checkpoint);
            return (
              <li
                key={checkpoint.metadata.id}
                id={optionId(index)}
                role="option"
                aria-selected={picked}
                // Keep focus in the input so the keyboard keeps working after a click.
                onMouseDown={(event) => event.preventDefault()}
                onClick={() => toggle(checkpoint)}
                onMouseMove={() => setActive(index)}
                className={cn("flex cursor-pointer items-center gap-2 px-3 py-2", index === activeIndex && "bg-accent-50")}
              >
                <span aria-hidden className={cn("w-4 shrink-0 text-accent-600", !picked && "invisible")}>
                  ✓
                </span>
                <OptionRow checkpoint={checkpoint} catalog={catalog} />
              </li>
            );
          })}
          {items.length === 0 && (
            <li role="presentation" className="px-3 py-2 text-sm text-zinc-500">
              {options.isPending || (options.isFetching && !options.data)
                ? "Searching…"
                : options.isError
                  ? `Could not search: ${options.error.message}`
                  : q
                    ? `No ready ${catalog ? "public " : ""}checkpoint matches '${q}'.`
                    : catalog
                      ? "The public catalog has no ready checkpoints yet."
                      : "No ready checkpoints in this organization yet."}
            </li>
          )}
        </ul>
      </div>
      <Switch
        id={`${id}-public`}
        checked={catalog}
        onChange={(next) => {
          onCatalogChange(next);
          setActive(-1);
        }}
        label="Public"
        description="Search the public catalog of every organization instead of this organization's checkpoints."
      />
    </div>
  );
}
