"use client";

import { useState } from "react";
import type { RetentionPolicyResponse } from "@/lib/api/schemas/retention";
import { formatBytes } from "@/lib/format";
import { useMe } from "@/lib/hooks/use-me";
import { useApplyPolicy, useDeletePolicy, usePolicyPreview, useRetentionPolicies } from "@/lib/hooks/use-storage";
import { RelativeTime } from "./relative-time";
import { RetentionPolicyForm } from "./retention-policy-form";
import { RetentionPreview } from "./retention-preview";
import { Button } from "./ui/button";
import { Dialog, DialogClose, DialogContent, DialogFooter, DialogTrigger } from "./ui/dialog";
import { EmptyState } from "./ui/empty-state";
import { ErrorState, InlineError } from "./ui/error-state";
import { Skeleton } from "./ui/skeleton";

function useIsAdmin(): boolean {
  const role = useMe().data?.org.role;
  return role === "owner" || role === "admin";
}

function Glob({ label, value }: { label: string; value: string }) {
  return (
    <span className="inline-flex items-center gap-1 rounded-md bg-zinc-100 px-1.5 py-0.5 text-xs text-zinc-600">
      {label} <code className="font-mono text-zinc-900">{value}</code>
    </span>
  );
}

function ApplyPolicyDialog({ policy }: { policy: RetentionPolicyResponse }) {
  const [open, setOpen] = useState(false);
  const preview = usePolicyPreview(policy.id, open);
  const apply = useApplyPolicy();
  const doomed = preview.data?.delete.length ?? 0;
  return (
    <Dialog
      open={open}
      onOpenChange={(value) => {
        setOpen(value);
        if (!value) apply.reset();
      }}
    >
      <DialogTrigger asChild>
        <Button variant="secondary" size="sm">
          Apply now
        </Button>
      </DialogTrigger>
      <DialogContent title={`Apply “${policy.name}” now`} description="It runs after each capture and every hour anyway; this runs it at once. Deleted checkpoints cannot be restored.">
        {apply.data ? (
          <p role="status" className="rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-800">
            Deleted {apply.data.deleted.length} {apply.data.deleted.length === 1 ? "checkpoint" : "checkpoints"}, freeing {formatBytes(apply.data.bytesFreed)}
            {apply.data.skipped.length > 0 ? `; ${apply.data.skipped.length} left alone (they changed since the preview)` : ""}.
          </p>
        ) : preview.isPending ? (
          <Skeleton className="h-5 w-64" />
        ) : preview.isError ? (
          <InlineError error={preview.error} />
        ) : (
          <p className="text-sm text-zinc-700">
            {doomed === 0 ? "Nothing to delete right now." : `Deletes ${doomed} ${doomed === 1 ? "checkpoint" : "checkpoints"}, freeing ${formatBytes(preview.data.bytesFreed)}.`}
          </p>
        )}
        {apply.error && <InlineError error={apply.error} />}
        <DialogFooter>
          <DialogClose asChild>
            <Button variant="secondary">{apply.data ? "Close" : "Cancel"}</Button>
          </DialogClose>
          {!apply.data && (
            <Button variant="danger" pending={apply.isPending} disabled={doomed === 0} onClick={() => apply.mutate(policy.id)}>
              Delete {doomed > 0 ? doomed : ""} now
            </Button>
          )}
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}

function DeletePolicyDialog({ policy }: { policy: RetentionPolicyResponse }) {
  const [open, setOpen] = useState(false);
  const remove = useDeletePolicy();
  return (
    <Dialog
      open={open}
      onOpenChange={(value) => {
        setOpen(value);
        if (!value) remove.reset();
      }}
    >
      <DialogTrigger asChild>
        <Button variant="ghost" size="sm" className="text-red-600 hover:bg-red-50 hover:text-red-700" aria-label={`Delete policy ${policy.name}`}>
          Delete
        </Button>
      </DialogTrigger>
      <DialogContent title="Delete retention policy" description={<>Checkpoints stop being deleted by <strong>{policy.name}</strong>. Nothing it already deleted comes back.</>}>
        {remove.error && <InlineError error={remove.error} />}
        <DialogFooter>
          <DialogClose asChild>
            <Button variant="secondary">Cancel</Button>
          </DialogClose>
          <Button variant="danger" pending={remove.isPending} onClick={() => remove.mutate(policy.id, { onSuccess: () => setOpen(false) })}>
            Delete policy
          </Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}

function PolicyCard({ policy, admin }: { policy: RetentionPolicyResponse; admin: boolean }) {
  const [previewing, setPreviewing] = useState(false);
  const preview = usePolicyPreview(policy.id, previewing);
  return (
    <li className="rounded-lg border border-zinc-200 bg-white p-4 shadow-sm">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <p className="font-medium text-zinc-900">{policy.name}</p>
          <p className="mt-0.5 text-sm text-zinc-600">{policy.summary}</p>
          <div className="mt-2 flex flex-wrap items-center gap-1.5">
            {policy.match.jobName && <Glob label="jobs" value={policy.match.jobName} />}
            {policy.match.checkpointName && <Glob label="checkpoints" value={policy.match.checkpointName} />}
            <span className="text-xs text-zinc-500">{policy.lastAppliedAt ? <>Applied <RelativeTime at={policy.lastAppliedAt} suffix=" ago" /></> : "Not applied yet"}</span>
          </div>
        </div>
        <div className="flex flex-wrap gap-2">
          <Button variant="secondary" size="sm" aria-expanded={previewing} onClick={() => setPreviewing((v) => !v)}>
            {previewing ? "Hide preview" : "Preview"}
          </Button>
          {admin && <ApplyPolicyDialog policy={policy} />}
          {admin && <DeletePolicyDialog policy={policy} />}
        </div>
      </div>
      {previewing && (
        <div className="mt-4 border-t border-zinc-100 pt-3">
          {preview.isPending ? (
            <Skeleton className="h-16 w-full" />
          ) : preview.isError ? (
            <ErrorState title="Could not preview this policy" error={preview.error} onRetry={() => void preview.refetch()} />
          ) : (
            <RetentionPreview preview={preview.data} metric={policy.keepBest?.metric} busy={preview.isFetching} />
          )}
        </div>
      )}
    </li>
  );
}

/** The org's retention policies: each with its rule, a preview of what it would delete now, and (for admins) Apply and Delete. */
export function RetentionPolicies() {
  const policies = useRetentionPolicies();
  const admin = useIsAdmin();
  const [writing, setWriting] = useState(false);
  return (
    <section aria-labelledby="retention-heading" className="space-y-3">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h2 id="retention-heading" className="text-base font-semibold text-zinc-900">
            Retention policies
          </h2>
          <p className="mt-0.5 max-w-2xl text-sm text-zinc-500">
            Applied after each capture and every hour. Pinned, public and in-use checkpoints are always kept; every deletion goes in the audit log.
          </p>
        </div>
        {admin && !writing && (policies.data?.items.length ?? 0) > 0 && <Button onClick={() => setWriting(true)}>New policy</Button>}
      </div>
      {writing && <RetentionPolicyForm onDone={() => setWriting(false)} />}
      {policies.isPending ? (
        <div className="space-y-2" aria-busy="true" aria-label="Loading retention policies">
          <Skeleton className="h-20 w-full" />
          <Skeleton className="h-20 w-full" />
        </div>
      ) : policies.isError ? (
        <ErrorState title="Could not load retention policies" error={policies.error} onRetry={() => void policies.refetch()} />
      ) : policies.data.items.length === 0 ? (
        !writing && (
          <EmptyState
            title="No retention policies"
            description={
              admin
                ? "Checkpoints stay until someone deletes them. A policy keeps, say, the latest 3 and the best 2 of a training job's checkpoints and deletes the rest."
                : "Checkpoints stay until someone deletes them. Owners and admins can add a policy that keeps the latest and the best of a job's checkpoints."
            }
            action={admin ? <Button onClick={() => setWriting(true)}>New policy</Button> : undefined}
          />
        )
      ) : (
        <ul className="space-y-3">
          {policies.data.items.map((policy) => (
            <PolicyCard key={policy.id} policy={policy} admin={admin} />
          ))}
        </ul>
      )}
    </section>
  );
}
