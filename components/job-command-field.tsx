"use client";

import type { SplitCommand } from "./job-command-words";
import { FieldMessage, Label } from "./ui/label";
import { cn } from "./ui/cn";

/**
 * The command as one line, split into argv with shell-like quoting (no shell runs it), or
 * handed to `sh -c` when the user says so; the preview shows exactly the argv the job gets.
 */
export function JobCommandField({
  line,
  onLineChange,
  throughShell,
  onThroughShellChange,
  split,
  onBlur,
  error,
}: {
  line: string;
  onLineChange: (line: string) => void;
  throughShell: boolean;
  onThroughShellChange: (throughShell: boolean) => void;
  split: SplitCommand;
  onBlur: () => void;
  /** A problem to show now (client rule once touched, or the API's). */
  error: string | null;
}) {
  return (
    <div>
      <Label htmlFor="job-command">Command</Label>
      <textarea
        id="job-command"
        value={line}
        rows={2}
        spellCheck={false}
        autoComplete="off"
        placeholder={throughShell ? "python train.py --resume \"$TRAINML_CHECKPOINT_PATH\" | tee log.txt" : "python train.py --epochs 3 --lr 3e-5"}
        onChange={(event) => onLineChange(event.target.value)}
        onBlur={onBlur}
        aria-invalid={error ? true : undefined}
        aria-describedby="job-command-message job-command-preview"
        className={cn(
          "mt-1.5 block w-full resize-y rounded-md border bg-white px-3 py-2 font-mono text-sm text-zinc-900 shadow-sm placeholder:text-zinc-400 focus:outline-none focus-visible:outline-2 focus-visible:outline-offset-0",
          error ? "border-red-400 focus-visible:outline-red-500" : "border-zinc-300",
        )}
      />
      <FieldMessage id="job-command-message" error={Boolean(error)}>
        {error ??
          (throughShell
            ? "Runs through sh -c: pipes, $VARIABLES and globs work."
            : "Quote arguments with spaces ('…' or \"…\"). It runs without a shell: $VARIABLES and pipes are not expanded.")}
      </FieldMessage>
      <label className="mt-2 flex w-fit cursor-pointer items-center gap-2 text-sm text-zinc-700">
        <input
          type="checkbox"
          checked={throughShell}
          onChange={(event) => onThroughShellChange(event.target.checked)}
          className="size-4 rounded border-zinc-300 accent-accent-600"
        />
        Run through <code className="font-mono text-xs">sh -c</code>
      </label>
      <div id="job-command-preview" className="mt-2 rounded-md border border-zinc-200 bg-zinc-50 px-3 py-2">
        <p className="text-[11px] font-semibold tracking-wider text-zinc-500 uppercase">
          argv <span className="font-normal normal-case">({split.argv.length} {split.argv.length === 1 ? "argument" : "arguments"})</span>
        </p>
        {split.argv.length === 0 ? (
          <p className="mt-1 text-xs text-zinc-400">The arguments appear here as you type.</p>
        ) : (
          <ol aria-label="Arguments the job receives" className="mt-1 flex flex-wrap gap-1.5">
            {split.argv.map((word, index) => (
              <li key={index} className="flex items-center gap-1 rounded border border-zinc-200 bg-white px-1.5 py-0.5 font-mono text-xs">
                <span className="text-zinc-400 tabular-nums">{index}</span>
                <span className={cn("break-all whitespace-pre-wrap", word === "" ? "text-red-600 italic" : "text-zinc-900")}>
                  {word === "" ? "(empty)" : word}
                </span>
              </li>
            ))}
          </ol>
        )}
      </div>
    </div>
  );
}
