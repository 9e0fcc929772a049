"use client";

import { useRouter } from "next/navigation";
import { useMemo, useState, type FormEvent } from "react";
import { ApiClientError } from "@/lib/api/client";
import type { DerivePreviewBody } from "@/lib/api/schemas/derive";
import { NAME_RULE, nameProblem } from "@/lib/checkpoints/naming";
import { globProblem } from "@/lib/checkpoints/path-globs";
import { formatBytes } from "@/lib/format";
import { useDebouncedValue } from "@/lib/hooks/use-debounced-value";
import { useDeriveCheckpoint, useDerivePreview } from "@/lib/hooks/use-derive";
import { Button } from "./ui/button";
import { cn } from "./ui/cn";
import { Dialog, DialogClose, DialogContent, DialogFooter, DialogTrigger } from "./ui/dialog";
import { InlineError } from "./ui/error-state";
import { Input } from "./ui/input";
import { FieldMessage, Label } from "./ui/label";
import { Skeleton } from "./ui/skeleton";
import { Switch } from "./ui/switch";

const globsOf = (text: string) =>
  text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);

/** The request's selection from the form's fields; each glob list only when it holds any. */
function selectionOf(weightsOnly: boolean, include: string, exclude: string): DerivePreviewBody {
  const [inc, exc] = [globsOf(include), globsOf(exclude)];
  return { ...(weightsOnly ? { preset: "weights-only" } : {}), ...(inc.length ? { include: inc } : {}), ...(exc.length ? { exclude: exc } : {}) };
}

const globsValid = (selection: DerivePreviewBody) => [...(selection.include ?? []), ...(selection.exclude ?? [])].every((glob) => globProblem(glob) === null);

function GlobField({ id, label, hint, value, onChange, placeholder }: { id: string; label: string; hint: string; value: string; onChange: (v: string) => void; placeholder: string }) {
  const problem = globsOf(value).map(globProblem).find(Boolean) ?? null;
  return (
    <div>
      <Label htmlFor={id}>{label}</Label>
      <textarea
        id={id}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        rows={2}
        spellCheck={false}
        placeholder={placeholder}
        aria-invalid={problem ? true : undefined}
        aria-describedby={`${id}-message`}
        className={cn(
          "mt-1.5 block w-full rounded-md border bg-white px-3 py-1.5 font-mono text-xs text-zinc-900 shadow-sm placeholder:text-zinc-400 focus:outline-none focus-visible:outline-2",
          problem ? "border-red-400" : "border-zinc-300",
        )}
      />
      <FieldMessage id={`${id}-message`} error={Boolean(problem)}>
        {problem ?? hint}
      </FieldMessage>
    </div>
  );
}

/** What the derive would keep and drop: totals, then every file, kept ones first. */
function DerivePreviewList({ preview, ready }: { preview: ReturnType<typeof useDerivePreview>; ready: boolean }) {
  if (!ready) return <p className="text-xs text-zinc-500">Fix the globs to see what would be kept.</p>;
  if (preview.isPending) {
    return (
      <div aria-busy="true" aria-label="Working out what is kept" className="space-y-1.5">
        <Skeleton className="h-4 w-56" />
        <Skeleton className="h-24 w-full" />
      </div>
    );
  }
  if (preview.isError) return <InlineError error={preview.error} />;
  const { kept, dropped, keptFiles, keptBytes, droppedFiles, droppedBytes } = preview.data;
  return (
    <div className={cn("space-y-1.5", preview.isFetching && "opacity-60")}>
      <p role="status" className={cn("text-sm", keptFiles === 0 ? "font-medium text-red-700" : "text-zinc-800")}>
        {keptFiles === 0
          ? `Nothing would be kept: all ${droppedFiles} files are left out. Loosen the globs.`
          : `Keeps ${keptFiles} of ${keptFiles + droppedFiles} files, ${formatBytes(keptBytes)}`}
        {keptFiles > 0 && droppedFiles > 0 && <span className="text-zinc-500"> · leaves out {droppedFiles} ({formatBytes(droppedBytes)})</span>}
      </p>
      <ul aria-label="Files of the derived checkpoint" className="max-h-48 divide-y divide-zinc-100 overflow-y-auto rounded-md border border-zinc-200 text-xs">
        {kept.map((file) => (
          <li key={file.path} className="flex items-center justify-between gap-3 px-2.5 py-1">
            <span className="flex min-w-0 items-center gap-1.5">
              <span aria-label="kept" className="text-emerald-600">
                ✓
              </span>
              <span className="truncate font-mono text-zinc-900" title={file.path}>
                {file.path}
              </span>
            </span>
            <span className="shrink-0 text-zinc-500 tabular-nums">{formatBytes(file.size)}</span>
          </li>
        ))}
        {dropped.map((file) => (
          <li key={file.path} className="px-2.5 py-1 text-zinc-500">
            <span className="flex items-center justify-between gap-3">
              <span className="flex min-w-0 items-center gap-1.5">
                <span aria-label="left out">–</span>
                <span className="truncate font-mono line-through" title={file.path}>
                  {file.path}
                </span>
              </span>
              <span className="shrink-0 tabular-nums">{formatBytes(file.size)}</span>
            </span>
            <span className="block pl-4 text-[11px]">{file.reason}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** *Derive…*: a new checkpoint of some of this one's files (weights only, or by globs), ready at once. */
export function DeriveCheckpointDialog({ id, name }: { id: string; name: string }) {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [newName, setNewName] = useState(`${name}-weights`);
  const [weightsOnly, setWeightsOnly] = useState(true);
  const [include, setInclude] = useState("");
  const [exclude, setExclude] = useState("");
  const derive = useDeriveCheckpoint(id);

  // The preview follows the globs once typing pauses; the switch applies at once.
  const [settledInclude, settledExclude] = useDebouncedValue(`${include}\u0000${exclude}`, 300).split("\u0000");
  const previewed = useMemo(() => selectionOf(weightsOnly, settledInclude ?? "", settledExclude ?? ""), [weightsOnly, settledInclude, settledExclude]);
  const selection = selectionOf(weightsOnly, include, exclude);
  const preview = useDerivePreview(id, previewed, { enabled: open && globsValid(previewed) });
  const keepsNothing = preview.data?.keptFiles === 0 && !preview.isPlaceholderData;
  const problem = nameProblem(newName);
  // A taken name is the name field's error, in the server's words.
  const fieldError = derive.error instanceof ApiClientError && derive.error.fields.name ? derive.error.message : undefined;

  function onOpenChange(next: boolean) {
    setOpen(next);
    if (next) {
      setNewName(`${name}-weights`);
      setWeightsOnly(true);
      setInclude("");
      setExclude("");
    }
    derive.reset();
  }

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (problem || !globsValid(selection)) return;
    derive.mutate(
      { ...selection, name: newName },
      {
        onSuccess: (checkpoint) => {
          setOpen(false);
          router.push(`/checkpoints/${encodeURIComponent(checkpoint.metadata.name)}`);
        },
      },
    );
  }

  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogTrigger asChild>
        <Button variant="secondary">Derive…</Button>
      </DialogTrigger>
      <DialogContent
        title="Derive a checkpoint"
        description={`A new checkpoint of some of ${name}'s files, ready at once. The files are shared, not copied: it adds nothing to your storage.`}
      >
        <form onSubmit={submit} className="space-y-4">
          <div>
            <Label htmlFor="derive-name">Name</Label>
            <Input
              id="derive-name"
              value={newName}
              onChange={(event) => {
                setNewName(event.target.value);
                if (derive.error) derive.reset();
              }}
              autoComplete="off"
              spellCheck={false}
              aria-invalid={problem || fieldError ? true : undefined}
              aria-describedby="derive-name-message"
              className="mt-1.5 font-mono"
            />
            <FieldMessage id="derive-name-message" error={Boolean(problem ?? fieldError)}>
              {problem ?? fieldError ?? NAME_RULE}
            </FieldMessage>
          </div>
          <Switch
            id="derive-weights-only"
            checked={weightsOnly}
            onChange={setWeightsOnly}
            label="Weights only"
            description="Leaves out optimizer, scheduler and RNG state and DeepSpeed/FSDP optimizer shards."
          />
          <GlobField id="derive-include" label="Keep only (optional)" hint="One glob a line; a file must match one. *.safetensors matches at any depth." value={include} onChange={setInclude} placeholder={"*.safetensors\nconfig.json"} />
          <GlobField id="derive-exclude" label="Leave out (optional)" hint="One glob a line; a trailing / names a directory." value={exclude} onChange={setExclude} placeholder="docs/" />
          <section aria-label="What is kept"><DerivePreviewList preview={preview} ready={globsValid(previewed)} /></section>
          {derive.error && !fieldError && <InlineError error={derive.error} />}
          <DialogFooter>
            <DialogClose asChild>
              <Button variant="secondary">Cancel</Button>
            </DialogClose>
            <Button type="submit" disabled={Boolean(problem) || !globsValid(selection) || keepsNothing} pending={derive.isPending}>
              Derive checkpoint
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
