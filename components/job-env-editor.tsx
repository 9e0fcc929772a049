"use client";

import { Button } from "./ui/button";
import { Input } from "./ui/input";

export type EnvRow = { id: number; key: string; value: string };

/** Environment variables as key/value rows; `problems` maps a key (or row id) to its message. */
export function JobEnvEditor({
  rows,
  onChange,
  problems,
}: {
  rows: EnvRow[];
  onChange: (rows: EnvRow[]) => void;
  problems: Record<number, string>;
}) {
  const update = (id: number, change: Partial<EnvRow>) => onChange(rows.map((row) => (row.id === id ? { ...row, ...change } : row)));
  const add = () => onChange([...rows, { id: Math.max(0, ...rows.map((row) => row.id)) + 1, key: "", value: "" }]);

  return (
    <fieldset>
      <legend className="text-sm font-medium text-zinc-800">Environment variables</legend>
      <p className="mt-0.5 text-xs text-zinc-500">
        Values are passed to the job and never shown again. Cairn sets FLEXAI_INPUT_CHECKPOINT_DIR, TRAINML_CHECKPOINT_PATH and
        FLEXAI_OUTPUT_CHECKPOINT_DIR itself.
      </p>
      {rows.length > 0 && (
        <ul className="mt-2 space-y-2">
          {rows.map((row, index) => {
            const problem = problems[row.id];
            return (
              <li key={row.id}>
                <div className="flex items-start gap-2">
                  <div className="w-2/5 shrink-0 sm:w-56">
                    <Input
                      aria-label={`Variable ${index + 1} name`}
                      value={row.key}
                      placeholder="NAME"
                      spellCheck={false}
                      autoComplete="off"
                      onChange={(event) => update(row.id, { key: event.target.value })}
                      aria-invalid={problem ? true : undefined}
                      aria-describedby={problem ? `env-${row.id}-message` : undefined}
                      className="font-mono"
                    />
                  </div>
                  <span aria-hidden className="pt-2 text-zinc-400">
                    =
                  </span>
                  <div className="min-w-0 flex-1">
                    <Input
                      aria-label={`Variable ${index + 1} value`}
                      value={row.value}
                      placeholder="value"
                      spellCheck={false}
                      autoComplete="off"
                      onChange={(event) => update(row.id, { value: event.target.value })}
                      className="font-mono"
                    />
                  </div>
                  <Button variant="ghost" aria-label={`Remove variable ${row.key || index + 1}`} onClick={() => onChange(rows.filter((other) => other.id !== row.id))}>
                    <svg aria-hidden viewBox="0 0 16 16" className="size-4" fill="none" stroke="currentColor" strokeWidth="1.5">
                      <path d="M4 4l8 8M12 4l-8 8" />
                    </svg>
                  </Button>
                </div>
                {problem && (
                  <p id={`env-${row.id}-message`} role="alert" className="mt-1 text-xs text-red-600">
                    {problem}
                  </p>
                )}
              </li>
            );
          })}
        </ul>
      )}
      <Button variant="secondary" size="sm" className="mt-2" onClick={add}>
        Add variable
      </Button>
    </fieldset>
  );
}
