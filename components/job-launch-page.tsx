"use client";

import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { jobTypes, type JobType } from "@/lib/api/schemas/jobs";
import type { CheckpointResponse } from "@/lib/api/schemas/checkpoints";
import { useCheckpoint } from "@/lib/hooks/use-checkpoints";
import { useCanWrite, useMe } from "@/lib/hooks/use-me";
import { toSelected } from "./checkpoint-select";
import { JobLaunchForm } from "./job-launch-form";
import { EmptyState } from "./ui/empty-state";
import { buttonClasses } from "./ui/button";
import { Skeleton } from "./ui/skeleton";

const nameSuffix: Record<JobType, string> = { training: "continued", "fine-tuning": "ft", inference: "infer" };

/** A job name suggested from the checkpoint it starts from; the user can change it. */
export function suggestedJobName(checkpointName: string, type: JobType): string {
  const suffix = `-${nameSuffix[type]}`;
  return `${checkpointName.slice(0, 63 - suffix.length).replace(/[^a-z0-9]+$/, "")}${suffix}`;
}

/** `?checkpoint=<name or id>&type=<type>&public=1`: the checkpoint to start from, resolved before the form shows. */
function usePrefill() {
  const params = useSearchParams();
  const ref = params.get("checkpoint")?.trim() ?? "";
  const typeParam = params.get("type");
  const type = (jobTypes as readonly string[]).includes(typeParam ?? "") ? (typeParam as JobType) : undefined;
  const fromCatalog = params.get("public") === "1" || params.get("public") === "true";

  // The API resolves an id or name in this org first, then among public checkpoints.
  const resolved = useCheckpoint(ref, { enabled: Boolean(ref) });
  const pending = Boolean(ref) && resolved.isPending;
  let checkpoint: CheckpointResponse | undefined = ref ? resolved.data : undefined;
  if (checkpoint && fromCatalog && checkpoint.metadata.visibility !== "public") checkpoint = undefined;

  let notice: string | null = null;
  if (ref && !pending && !checkpoint) notice = `Checkpoint '${ref}' was not found${fromCatalog ? " in the public catalog" : ""}; pick one below.`;
  else if (checkpoint && checkpoint.status.status !== "ready") {
    notice = `Checkpoint '${checkpoint.metadata.name}' is ${checkpoint.status.status}; only ready checkpoints can be attached.`;
    checkpoint = undefined;
  }
  return { ref, type, fromCatalog, pending, checkpoint, notice };
}

function FormSkeleton() {
  return (
    <div className="space-y-6 rounded-xl border border-zinc-200 bg-white p-6" aria-busy="true" aria-label="Loading the form">
      <Skeleton className="h-9 w-80" />
      <div className="grid grid-cols-3 gap-2">
        <Skeleton className="h-16" />
        <Skeleton className="h-16" />
        <Skeleton className="h-16" />
      </div>
      <Skeleton className="h-20 w-full" />
      <Skeleton className="h-24 w-full" />
    </div>
  );
}

export function JobLaunchPage() {
  const prefill = usePrefill();
  const me = useMe();
  const canWrite = useCanWrite();
  const type = prefill.type ?? "training";

  return (
    <div className="mx-auto max-w-4xl space-y-5">
      <Link href="/jobs" className="text-sm text-zinc-500 hover:text-zinc-800">
        ← Jobs
      </Link>
      <div>
        <h1 className="text-xl font-semibold tracking-tight text-zinc-900">Launch a job</h1>
        <p className="mt-1 text-sm text-zinc-500">
          Runs a command with checkpoints mounted read-only; what it writes to its output directory becomes new checkpoints.
        </p>
      </div>
      {prefill.notice && (
        <p role="status" className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-800">
          {prefill.notice}
        </p>
      )}
      {prefill.pending || me.isPending ? (
        <FormSkeleton />
      ) : !canWrite ? (
        <EmptyState
          title="Your role is read-only"
          description="Viewers can watch jobs but not launch them. Ask an owner or admin for the member role."
          action={
            <Link href="/jobs" className={buttonClasses({ variant: "secondary" })}>
              Back to jobs
            </Link>
          }
        />
      ) : (
        <JobLaunchForm
          initialCatalog={prefill.fromCatalog}
          initial={{
            type,
            ...(prefill.checkpoint
              ? {
                  name: suggestedJobName(prefill.checkpoint.metadata.name, type),
                  checkpoints: [toSelected(prefill.checkpoint, prefill.fromCatalog)],
                }
              : {}),
          }}
        />
      )}
    </div>
  );
}
