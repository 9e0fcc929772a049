"use client";

import { useMemo, useState, type FormEvent } from "react";
import { ApiClientError } from "@/lib/api/client";
import { retentionRuleBody, type RetentionRuleBody } from "@/lib/api/schemas/retention";
import { useDebouncedValue } from "@/lib/hooks/use-debounced-value";
import { useCreatePolicy, useRulePreview } from "@/lib/hooks/use-storage";
import { ruleSummary } from "@/lib/retention/kinds";
import { RetentionPreview } from "./retention-preview";
import { Button } from "./ui/button";
import { ErrorState, InlineError } from "./ui/error-state";
import { Input, Select } from "./ui/input";
import { FieldMessage, Label } from "./ui/label";
import { Skeleton } from "./ui/skeleton";

type Draft = { name: string; jobName: string; checkpointName: string; keepLatest: string; best: boolean; k: string; metric: string; mode: "min" | "max" };

const initial: Draft = { name: "", jobName: "", checkpointName: "", keepLatest: "3", best: false, k: "2", metric: "eval_loss", mode: "min" };

/** The rule the fields describe, as the API takes it (empty fields left out). */
function ruleOf(draft: Draft): Record<string, unknown> {
  const whole = (text: string) => (text.trim() === "" ? undefined : Number(text));
  return {
    match: { ...(draft.jobName.trim() ? { jobName: draft.jobName.trim() } : {}), ...(draft.checkpointName.trim() ? { checkpointName: draft.checkpointName.trim() } : {}) },
    ...(whole(draft.keepLatest) === undefined ? {} : { keepLatest: whole(draft.keepLatest) }),
    ...(draft.best ? { keepBest: { k: whole(draft.k), metric: draft.metric.trim(), mode: draft.mode } } : {}),
  };
}

/** Writes a retention policy and shows, before it is saved, what it would delete now and the bytes that frees. */
export function RetentionPolicyForm({ onDone }: { onDone: () => void }) {
  const [draft, setDraft] = useState<Draft>(initial);
  const create = useCreatePolicy();
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((current) => ({ ...current, [key]: value }));

  const checked = useMemo(() => retentionRuleBody.safeParse(ruleOf(draft)), [draft]);
  const localErrors = useMemo(() => {
    const fields: Record<string, string> = {};
    if (!checked.success) for (const issue of checked.error.issues) fields[issue.path.join(".")] ??= issue.message;
    return fields;
  }, [checked]);
  const rule: RetentionRuleBody | null = checked.success ? checked.data : null;
  const debounced = useDebouncedValue(rule, 400);
  const preview = useRulePreview(debounced);
  const serverErrors = create.error instanceof ApiClientError ? create.error.fields : {};
  const [tried, setTried] = useState(false);
  const errorOf = (field: string) => serverErrors[field] ?? (tried ? localErrors[field] : undefined);

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setTried(true);
    if (!rule || draft.name.trim() === "") return;
    create.mutate({ name: draft.name.trim(), ...rule }, { onSuccess: onDone });
  }

  const field = (id: string, label: string, key: "name" | "jobName" | "checkpointName" | "keepLatest", props: { placeholder?: string; hint?: string; error?: string; type?: string }) => (
    <div>
      <Label htmlFor={id}>{label}</Label>
      <Input
        id={id}
        value={draft[key]}
        onChange={(event) => set(key, event.target.value)}
        placeholder={props.placeholder}
        type={props.type ?? "text"}
        min={props.type === "number" ? 1 : undefined}
        autoComplete="off"
        aria-invalid={props.error ? true : undefined}
        aria-describedby={`${id}-message`}
        className="mt-1.5"
      />
      <FieldMessage id={`${id}-message`} error={Boolean(props.error)}>
        {props.error ?? props.hint}
      </FieldMessage>
    </div>
  );

  return (
    <form onSubmit={submit} className="space-y-5 rounded-lg border border-zinc-200 bg-white p-5 shadow-sm" aria-labelledby="new-policy-heading" noValidate>
      <h3 id="new-policy-heading" className="text-sm font-semibold text-zinc-900">
        New retention policy
      </h3>
      <div className="grid gap-4 sm:grid-cols-2">
        {field("policy-name", "Policy name", "name", { placeholder: "llama sweeps", hint: "For the list and the audit log.", error: errorOf("name") ?? (tried && draft.name.trim() === "" ? "Name the policy." : undefined) })}
        <div className="hidden sm:block" />
        {field("policy-job", "Jobs named", "jobName", { placeholder: "llama-ft-*", hint: "Checkpoints captured from jobs whose name matches. * is any text, ? one character.", error: errorOf("match.jobName") ?? errorOf("match") })}
        {field("policy-checkpoint", "Checkpoints named", "checkpointName", { placeholder: "*-step-*", hint: "Checkpoints whose own name matches. With both, both must match.", error: errorOf("match.checkpointName") })}
      </div>
      <fieldset className="space-y-4">
        <legend className="text-sm font-medium text-zinc-800">What to keep</legend>
        <div className="grid gap-4 sm:grid-cols-2">
          {field("policy-latest", "The latest", "keepLatest", { type: "number", placeholder: "3", hint: "How many of the most recent to keep. Leave empty to keep only the best.", error: errorOf("keepLatest") })}
        </div>
        <label className="flex items-center gap-2 text-sm text-zinc-800">
          <input type="checkbox" checked={draft.best} onChange={(event) => set("best", event.target.checked)} className="size-4 rounded border-zinc-300 accent-accent-600" />
          And the best by a metric
        </label>
        {draft.best && (
          <div className="grid gap-4 sm:grid-cols-3">
            <div>
              <Label htmlFor="policy-k">How many</Label>
              <Input id="policy-k" type="number" min={1} value={draft.k} onChange={(event) => set("k", event.target.value)} aria-invalid={errorOf("keepBest.k") ? true : undefined} aria-describedby="policy-k-message" className="mt-1.5" />
              <FieldMessage id="policy-k-message" error={Boolean(errorOf("keepBest.k"))}>
                {errorOf("keepBest.k") ?? "Kept besides the latest."}
              </FieldMessage>
            </div>
            <div>
              <Label htmlFor="policy-metric">Metric</Label>
              <Input id="policy-metric" value={draft.metric} onChange={(event) => set("metric", event.target.value)} placeholder="eval_loss" autoComplete="off" aria-invalid={errorOf("keepBest.metric") ? true : undefined} aria-describedby="policy-metric-message" className="mt-1.5" />
              <FieldMessage id="policy-metric-message" error={Boolean(errorOf("keepBest.metric"))}>
                {errorOf("keepBest.metric") ?? "From trainer_state.json or a metrics file."}
              </FieldMessage>
            </div>
            <div>
              <Label htmlFor="policy-mode">Best is</Label>
              <Select id="policy-mode" value={draft.mode} onChange={(event) => set("mode", event.target.value === "max" ? "max" : "min")} className="mt-1.5 w-full">
                <option value="min">Lowest (a loss)</option>
                <option value="max">Highest (an accuracy)</option>
              </Select>
            </div>
          </div>
        )}
        <p className="text-xs text-zinc-500">Pinned, public and in-use checkpoints are always kept, and so is anything another policy keeps.</p>
      </fieldset>

      <section aria-labelledby="policy-preview-heading" className="rounded-md border border-zinc-200 bg-zinc-50/60 p-4">
        <h4 id="policy-preview-heading" className="text-sm font-semibold text-zinc-900">
          Preview{rule ? <span className="font-normal text-zinc-500"> · {ruleSummary(rule)}</span> : null}
        </h4>
        <div className="mt-2">
          {!rule ? (
            <p className="text-sm text-zinc-500">Name the jobs or checkpoints it covers and what to keep, and the checkpoints it would delete appear here.</p>
          ) : preview.isPending ? (
            <div aria-busy="true" aria-label="Loading the preview" className="space-y-2">
              <Skeleton className="h-4 w-72" />
              <Skeleton className="h-24 w-full" />
            </div>
          ) : preview.isError ? (
            <ErrorState title="Could not preview this policy" error={preview.error} onRetry={() => void preview.refetch()} />
          ) : (
            <RetentionPreview preview={preview.data} metric={rule.keepBest?.metric} busy={preview.isFetching || debounced !== rule} />
          )}
        </div>
      </section>

      {create.error && Object.keys(serverErrors).length === 0 && <InlineError error={create.error} />}
      <div className="flex flex-wrap justify-end gap-2">
        <Button variant="secondary" onClick={onDone}>
          Cancel
        </Button>
        <Button type="submit" pending={create.isPending}>
          Save policy
        </Button>
      </div>
    </form>
  );
}
