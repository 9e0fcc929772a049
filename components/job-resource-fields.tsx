"use client";

import type { ResourceField, RunnerInfo, RunnerKind } from "@/lib/api/schemas/jobs";
import type { ResourceDraft } from "./job-launch-rules";
import { resourceFieldLabels, runnerLabels } from "./job-resources";
import { cn } from "./ui/cn";
import { ErrorState } from "./ui/error-state";
import { Input } from "./ui/input";
import { FieldMessage, Label } from "./ui/label";
import { Skeleton } from "./ui/skeleton";

/** The id of each field's input, so an error can bring it into view. */
export const resourceInputIds: Record<ResourceField, string> = {
  gpus: "job-gpus",
  cpus: "job-cpus",
  memoryGb: "job-memory-gb",
  timeLimitMinutes: "job-time-limit",
  partition: "job-partition",
  image: "job-image",
};

/** What each runner does with a field, and what leaving it empty means, said once under it. */
const hints: Record<Exclude<RunnerKind, "local">, Partial<Record<ResourceField, string>>> = {
  slurm: {
    gpus: "Asked as --gres=gpu:N. Empty: no GPU.",
    cpus: "Asked as --cpus-per-task. Empty: the cluster's default.",
    memoryGb: "Asked as --mem. Empty: the cluster's default.",
    timeLimitMinutes: "Slurm ends the job after this long. Empty: the partition's limit.",
  },
  kubernetes: {
    gpus: "The pod's nvidia.com/gpu limit. Empty: no GPU.",
    cpus: "The pod's CPU request and limit. Empty: none set.",
    memoryGb: "The pod's memory request and limit. Empty: none set.",
    timeLimitMinutes: "Kubernetes ends the job after this long. Empty: no limit.",
  },
};

function hintFor(field: ResourceField, info: RunnerInfo): string {
  if (field === "partition") return info.defaultPartition ? `Empty: ${info.defaultPartition}.` : "Empty: the cluster's default partition.";
  if (field === "image") return info.defaultImage ? `Empty: ${info.defaultImage}.` : "Required: this Cairn has no default image.";
  return (info.runner === "local" ? undefined : hints[info.runner][field]) ?? "Empty: the runner's default.";
}

function ResourceInput({
  field,
  info,
  value,
  onChange,
  error,
}: {
  field: ResourceField;
  info: RunnerInfo;
  value: string;
  onChange: (value: string) => void;
  error: string | null;
}) {
  const id = resourceInputIds[field];
  const { label, unit } = resourceFieldLabels[field];
  const text = field === "partition" || field === "image";
  return (
    <div className={cn("min-w-0", field === "image" && "sm:col-span-2")}>
      <Label htmlFor={id}>
        {label}
        {unit && <span className="font-normal text-zinc-500"> ({unit})</span>}
      </Label>
      <Input
        id={id}
        value={value}
        inputMode={text ? undefined : field === "memoryGb" ? "decimal" : "numeric"}
        autoComplete="off"
        spellCheck={false}
        placeholder={field === "partition" ? (info.defaultPartition ?? "default") : field === "image" ? (info.defaultImage ?? "pytorch/pytorch:2.4.0-cuda12.1-cudnn9-runtime") : undefined}
        onChange={(event) => onChange(event.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={`${id}-message`}
        className={cn("mt-1.5", text ? "font-mono" : "tabular-nums")}
      />
      <FieldMessage id={`${id}-message`} error={Boolean(error)}>
        {error ?? hintFor(field, info)}
      </FieldMessage>
    </div>
  );
}

/**
 * What the job asks of its runner, offering only the fields the runner honours (`accepts`), with
 * a skeleton while they load and the error with a retry when they cannot be.
 */
export function JobResourceFields({
  runner,
  values,
  onChange,
  problems,
  refusal,
}: {
  runner: { data?: RunnerInfo; isPending: boolean; isError: boolean; error: unknown; refetch: () => unknown };
  values: ResourceDraft;
  onChange: (values: ResourceDraft) => void;
  /** Per field: the client rule once typed, or the API's. */
  problems: Partial<Record<ResourceField, string>>;
  /** The runner's refusal of the request as a whole, in its words. */
  refusal: string | null;
}) {
  if (runner.isPending) {
    return (
      <div className="grid gap-4 sm:grid-cols-2" aria-busy="true" aria-label="Loading the runner's fields">
        {Array.from({ length: 4 }, (_, i) => (
          <div key={i} className="space-y-1.5">
            <Skeleton className="h-4 w-20" />
            <Skeleton className="h-9 w-full" />
          </div>
        ))}
      </div>
    );
  }
  if (runner.isError || !runner.data) {
    return <ErrorState title="Could not load what the runner offers" error={runner.error} onRetry={() => void runner.refetch()} />;
  }
  const info = runner.data;
  if (info.accepts.length === 0) return <p className="text-sm text-zinc-600">This runner takes no resource requests.</p>;
  return (
    <div className="space-y-3">
      <div className="grid gap-x-4 gap-y-5 sm:grid-cols-2">
        {info.accepts.map((field) => (
          <ResourceInput
            key={field}
            field={field}
            info={info}
            value={values[field]}
            onChange={(value) => onChange({ ...values, [field]: value })}
            error={problems[field] ?? null}
          />
        ))}
      </div>
      {refusal && (
        <p id="job-resources-message" role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-700">
          {refusal}
        </p>
      )}
    </div>
  );
}

/** The section's one-line description, naming the runner. */
export function resourceSectionDescription(info: RunnerInfo | undefined): string {
  if (!info || info.runner === "local") return "What the job asks of the runner.";
  return `${runnerLabels[info.runner]} schedules the job with what you ask; leave a field empty for the default.`;
}
