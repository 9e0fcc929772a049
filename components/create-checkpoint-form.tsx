"use client";

import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useState, type FormEvent } from "react";
import { ApiClientError } from "@/lib/api/client";
import { NAME_RULE, nameProblem } from "@/lib/checkpoints/naming";
import type { SourceType } from "@/lib/checkpoints/kinds";
import { sourcePathProblem } from "@/lib/sources/specs";
import { useCheckpoint, useCreateCheckpoint } from "@/lib/hooks/use-checkpoints";
import { CheckpointUploadStep } from "./checkpoint-upload-step";
import { readSourceOptions, SourceLocationFields, SourcePicker } from "./source-picker";
import { sourceTypeOptions, type AvailableSourceTypeOption } from "./source-types";
import { StatusBadge } from "./status-badge";
import { Button, buttonClasses } from "./ui/button";
import { cn } from "./ui/cn";
import { EmptyState } from "./ui/empty-state";
import { ErrorState, InlineError } from "./ui/error-state";
import { Input } from "./ui/input";
import { FieldMessage, Label } from "./ui/label";
import { Skeleton } from "./ui/skeleton";

function Steps({ current, remote }: { current: 1 | 2; remote: boolean }) {
  // A remote source has no second step for the person: the server fetches the files.
  const steps = ["Name and source", remote ? "Server fetches the files" : "Add files"];
  return (
    <ol className="flex items-center gap-3 text-sm">
      {steps.map((label, i) => {
        const n = i + 1;
        const state = n < current ? "done" : n === current ? "current" : "upcoming";
        return (
          <li key={label} aria-current={state === "current" ? "step" : undefined} className="flex items-center gap-2">
            {i > 0 && <span aria-hidden className="h-px w-8 bg-zinc-300" />}
            <span
              className={cn(
                "flex size-6 items-center justify-center rounded-full text-xs font-semibold",
                state === "upcoming" ? "bg-zinc-200 text-zinc-600" : "bg-accent-600 text-white",
              )}
            >
              {state === "done" ? "✓" : n}
            </span>
            <span className={state === "upcoming" ? "text-zinc-500" : "font-medium text-zinc-900"}>{label}</span>
          </li>
        );
      })}
    </ol>
  );
}

/** Step 1: name the checkpoint and pick its source; "Continue" creates it. */
function NameAndSourceStep({
  options,
  sourceType,
  onCreated,
  onSourceTypeChange,
}: {
  options: AvailableSourceTypeOption[];
  sourceType: SourceType;
  onCreated: (name: string, sourceType: SourceType) => void;
  onSourceTypeChange: (type: SourceType) => void;
}) {
  const [name, setName] = useState("");
  const [touched, setTouched] = useState(false);
  // Set by a blocked submit, so an empty path shows its rule as an error rather than a hint.
  const [submitted, setSubmitted] = useState(false);
  const create = useCreateCheckpoint();
  const problem = nameProblem(name);
  const showProblem = problem && (touched || name.length > 0);
  const serverError = create.error;
  const fields = serverError instanceof ApiClientError ? serverError.fields : {};
  const serverNameError = serverError instanceof ApiClientError && (serverError.code === "conflict" || "name" in fields) ? serverError.message : null;
  const selected = options.find((o) => o.type === sourceType);
  const otherFieldError = Object.keys(fields).some((key) => key === "sourceUri" || key === "connection" || key.startsWith("sourceOptions"));

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setTouched(true);
    setSubmitted(true);
    const form = new FormData(event.currentTarget);
    const sourceUri = String(form.get("sourceUri") ?? "").trim();
    const connection = String(form.get("connection") ?? "").trim();
    const sourceOptions = selected && selected.type !== "local" ? readSourceOptions(form, selected) : undefined;
    if (problem) return;
    if (sourceType !== "local" && sourcePathProblem(sourceType, sourceUri)) {
      event.currentTarget.querySelector<HTMLInputElement>("#source-uri")?.focus();
      return;
    }
    create.mutate(
      {
        name,
        sourceType,
        ...(sourceType === "local" ? {} : { sourceUri, ...(connection ? { connection } : {}), ...(sourceOptions ? { sourceOptions } : {}) }),
      },
      { onSuccess: (checkpoint) => onCreated(checkpoint.metadata.name, sourceType) },
    );
  }

  const nameMessage = showProblem ? problem : serverNameError;
  return (
    <form onSubmit={submit} onChange={() => create.error && create.reset()} className="space-y-6" noValidate>
      <div>
        <Label htmlFor="checkpoint-name">Name</Label>
        <Input
          id="checkpoint-name"
          value={name}
          autoFocus
          autoComplete="off"
          spellCheck={false}
          placeholder="llama-3-8b-step-12000"
          onChange={(event) => setName(event.target.value)}
          onBlur={() => setTouched(true)}
          aria-invalid={nameMessage ? true : undefined}
          aria-describedby="checkpoint-name-message"
          className="mt-1.5 font-mono"
        />
        <FieldMessage id="checkpoint-name-message" error={Boolean(nameMessage)}>
          {nameMessage ?? NAME_RULE}
        </FieldMessage>
      </div>
      <SourcePicker
        options={options}
        value={sourceType}
        onChange={(type) => {
          onSourceTypeChange(type);
          setSubmitted(false);
        }}
      />
      {selected && selected.type !== "local" && <SourceLocationFields key={selected.type} option={selected} fields={fields} submitted={submitted} />}
      {serverError && !serverNameError && !otherFieldError && <InlineError error={serverError} />}
      <div className="flex items-center justify-end gap-2 border-t border-zinc-200 pt-5">
        <Link href="/checkpoints" className={buttonClasses({ variant: "ghost" })}>
          Cancel
        </Link>
        <Button type="submit" pending={create.isPending} disabled={Boolean(problem) && touched}>
          {sourceType === "local" ? "Continue" : "Create checkpoint"}
        </Button>
      </div>
    </form>
  );
}

/** Step 2 after a reload: find the checkpoint named in the URL and resume if it still takes files. */
function ResumeUpload({ name, onStartOver }: { name: string; onStartOver: () => void }) {
  const checkpoint = useCheckpoint(name);
  // Decided once, on arrival: "Finish" turns the checkpoint ready while this page is still open.
  const [resumable, setResumable] = useState<boolean | null>(null);
  if (resumable === null && checkpoint.data) setResumable(checkpoint.data.status.status === "uploading");
  if (checkpoint.isPending) {
    return (
      <div className="space-y-3" aria-busy="true" aria-label="Loading checkpoint">
        <Skeleton className="h-5 w-64" />
        <Skeleton className="h-80 w-full" />
      </div>
    );
  }
  if (checkpoint.isError) {
    const missing = checkpoint.error instanceof ApiClientError && checkpoint.error.status === 404;
    return missing ? (
      <EmptyState
        title={`No checkpoint named '${name}'`}
        description="It may have been deleted or renamed. Start a new checkpoint instead."
        action={<Button onClick={onStartOver}>Start a new checkpoint</Button>}
      />
    ) : (
      <ErrorState title="Could not load the checkpoint" error={checkpoint.error} onRetry={() => void checkpoint.refetch()} />
    );
  }
  const { metadata, status } = checkpoint.data;
  if (resumable === false) {
    return (
      <EmptyState
        title={`'${metadata.name}' no longer takes files`}
        description={
          <span className="inline-flex items-center gap-2">
            Its status is <StatusBadge status={status.status} />
          </span>
        }
        action={
          <div className="flex gap-2">
            <Link href={`/checkpoints/${encodeURIComponent(metadata.name)}`} className={buttonClasses({ variant: "secondary" })}>
              View checkpoint
            </Link>
            <Button onClick={onStartOver}>Start a new checkpoint</Button>
          </div>
        }
      />
    );
  }
  return <CheckpointUploadStep key={metadata.id} checkpoint={checkpoint.data} />;
}

/** The create flow; `availableTypes` is the server's list of source types it can ingest. */
export function CreateCheckpointForm({ availableTypes }: { availableTypes: string[] }) {
  const searchParams = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const pending = searchParams.get("checkpoint");
  const [options] = useState(() => sourceTypeOptions(availableTypes));
  const [sourceType, setSourceType] = useState<SourceType>(options.find((o) => o.available)?.type ?? "local");

  return (
    <div className="mx-auto max-w-3xl space-y-6">
      <div>
        <Link href="/checkpoints" className="text-sm text-zinc-500 hover:text-zinc-800">
          ← Checkpoints
        </Link>
        <h1 className="mt-2 text-xl font-semibold tracking-tight text-zinc-900">Create checkpoint</h1>
      </div>
      <Steps current={pending ? 2 : 1} remote={!pending && sourceType !== "local"} />
      <div className="rounded-xl border border-zinc-200 bg-white p-6 shadow-sm">
        {pending ? (
          <ResumeUpload name={pending} onStartOver={() => router.replace(pathname)} />
        ) : (
          <NameAndSourceStep
            options={options}
            sourceType={sourceType}
            onSourceTypeChange={setSourceType}
            onCreated={(name, sourceType) =>
              sourceType === "local"
                ? router.replace(`${pathname}?checkpoint=${encodeURIComponent(name)}`)
                : router.push(`/checkpoints/${encodeURIComponent(name)}`)
            }
          />
        )}
      </div>
    </div>
  );
}
