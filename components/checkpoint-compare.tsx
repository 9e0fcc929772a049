"use client";

import Link from "next/link";
import { useState, type ReactNode } from "react";
import { ApiClientError } from "@/lib/api/client";
import { useCheckpointDiff } from "@/lib/hooks/use-checkpoints";
import { formatParameters, type CheckpointDiff } from "@/lib/model-facts/kinds";
import { EmptyState } from "./ui/empty-state";
import { ErrorState } from "./ui/error-state";
import { Skeleton } from "./ui/skeleton";

const checkpointLink = (ref: string) => (
  <Link href={`/checkpoints/${encodeURIComponent(ref)}`} className="font-mono font-semibold text-zinc-900 hover:text-accent-600 hover:underline">
    {ref}
  </Link>
);

function Count({ label, value, tone }: { label: string; value: number; tone: "add" | "remove" | "change" | "same" }) {
  const tones = { add: "text-emerald-700", remove: "text-red-700", change: "text-amber-700", same: "text-zinc-500" };
  return (
    <div>
      <dt className="text-xs font-medium text-zinc-500">{label}</dt>
      <dd className={`mt-0.5 text-lg font-semibold tabular-nums ${tones[tone]}`}>{value.toLocaleString()}</dd>
    </div>
  );
}

/** A list of names that shows the first few and the rest on request: 10,000 files must not flood the page. */
function NameList({ title, names, mark, tone }: { title: string; names: { name: string; note?: string }[]; mark: string; tone: string }) {
  const [all, setAll] = useState(false);
  if (names.length === 0) return null;
  const shown = all ? names : names.slice(0, 50);
  return (
    <div>
      <h3 className="text-xs font-medium tracking-wide text-zinc-500 uppercase">
        {title} ({names.length.toLocaleString()})
      </h3>
      <ul className="mt-1 space-y-0.5 font-mono text-xs">
        {shown.map(({ name, note }) => (
          <li key={name} className="flex min-w-0 gap-2">
            <span aria-hidden className={`shrink-0 ${tone}`}>
              {mark}
            </span>
            <span className="min-w-0 break-all text-zinc-800">{name}</span>
            {note && <span className="shrink-0 text-zinc-500">{note}</span>}
          </li>
        ))}
      </ul>
      {names.length > shown.length && (
        <button type="button" onClick={() => setAll(true)} className="mt-1 text-xs font-medium text-accent-600 hover:underline">
          Show all {names.length.toLocaleString()}
        </button>
      )}
    </div>
  );
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="space-y-3 rounded-lg border border-zinc-200 bg-white p-4 shadow-sm">
      <h2 className="text-sm font-semibold text-zinc-900">{title}</h2>
      {children}
    </section>
  );
}

const reasonNote = { shape: "shape changed", dtype: "dtype changed", values: "values changed" } as const;

/** "changed 0.4 % of parameters" — the one number people ask a diff for. */
export function parameterChange(parameters: NonNullable<CheckpointDiff["parameters"]>): string {
  if (parameters.total === 0) return "no parameters";
  const share = (parameters.changed / parameters.total) * 100;
  const percent = share === 0 ? "0" : share < 0.1 ? "< 0.1" : share >= 99.95 ? "100" : share.toFixed(1);
  return `${percent} % of parameters changed (${formatParameters(parameters.changed)} of ${formatParameters(parameters.total)})`;
}

function Diff({ diff }: { diff: CheckpointDiff }) {
  const { files, tensors, parameters } = diff;
  return (
    <div className="space-y-6">
      <Section title="Files">
        <dl className="grid grid-cols-2 gap-4 sm:grid-cols-4">
          <Count label="Added" value={files.added.length} tone="add" />
          <Count label="Removed" value={files.removed.length} tone="remove" />
          <Count label="Changed" value={files.changed.length} tone="change" />
          <Count label="Identical" value={files.identical.length} tone="same" />
        </dl>
        <div className="space-y-3">
          <NameList title="Added" names={files.added.map((name) => ({ name }))} mark="+" tone="text-emerald-700" />
          <NameList title="Removed" names={files.removed.map((name) => ({ name }))} mark="−" tone="text-red-700" />
          <NameList title="Changed" names={files.changed.map((name) => ({ name }))} mark="~" tone="text-amber-700" />
        </div>
        {files.added.length + files.removed.length + files.changed.length === 0 && <p className="text-sm text-zinc-600">Every file is byte-identical (same SHA-256).</p>}
      </Section>

      <Section title="Tensors">
        {diff.status === "computing" && (
          <p role="status" className="flex items-center gap-2 text-sm text-zinc-600">
            <span aria-hidden className="size-2 animate-pulse rounded-full bg-accent-500" />
            Hashing the changed weight files tensor by tensor… this page updates when it is done.
          </p>
        )}
        {tensors && parameters ? (
          <>
            <p className="text-sm font-medium text-zinc-900" data-testid="parameter-change">
              {diff.status === "computing" ? "So far: " : ""}
              {parameterChange(parameters)}
            </p>
            <dl className="grid grid-cols-2 gap-4 sm:grid-cols-4">
              <Count label="Added" value={tensors.added.length} tone="add" />
              <Count label="Removed" value={tensors.removed.length} tone="remove" />
              <Count label="Changed" value={tensors.changed.length} tone="change" />
              <Count label="Identical" value={tensors.identical} tone="same" />
            </dl>
            <div className="space-y-3">
              <NameList title="Changed" names={tensors.changed.map((t) => ({ name: t.name, note: reasonNote[t.reason] }))} mark="~" tone="text-amber-700" />
              <NameList title="Added" names={tensors.added.map((name) => ({ name }))} mark="+" tone="text-emerald-700" />
              <NameList title="Removed" names={tensors.removed.map((name) => ({ name }))} mark="−" tone="text-red-700" />
            </div>
          </>
        ) : (
          diff.status === "ready" && <p className="text-sm text-zinc-500">Neither checkpoint holds safetensors, PyTorch or GGUF weights; only files are compared.</p>
        )}
        {diff.problems.length > 0 && (
          <div className="rounded-md border border-amber-200 bg-amber-50 p-3 text-xs text-amber-900">
            <p className="font-medium">Some weight files could not be read; their tensors are left out:</p>
            <ul className="mt-1 list-disc pl-5 font-mono break-all">
              {diff.problems.slice(0, 10).map((problem) => (
                <li key={problem}>{problem}</li>
              ))}
            </ul>
          </div>
        )}
      </Section>
    </div>
  );
}

/** The compare page: what changed between two checkpoints, by file and by tensor. */
export function CheckpointCompare({ a, b }: { a: string; b: string }) {
  const diff = useCheckpointDiff(a, b);
  return (
    <div className="space-y-5">
      <Link href={`/checkpoints/${encodeURIComponent(a)}`} className="text-sm text-zinc-500 hover:text-zinc-800">
        ← {a}
      </Link>
      <h1 className="flex flex-wrap items-baseline gap-2 text-xl tracking-tight text-zinc-900">
        <span className="font-semibold">Compare</span> {checkpointLink(a)} <span className="text-zinc-400">→</span> {checkpointLink(b)}
      </h1>
      {diff.isPending ? (
        <div className="space-y-3" aria-busy="true" aria-label="Comparing checkpoints">
          <Skeleton className="h-24 w-full" />
          <Skeleton className="h-40 w-full" />
        </div>
      ) : diff.isError ? (
        diff.error instanceof ApiClientError && diff.error.status === 404 ? (
          <EmptyState title="Checkpoint not found" description={diff.error.message} />
        ) : (
          <ErrorState title="Could not compare the checkpoints" error={diff.error} onRetry={() => void diff.refetch()} />
        )
      ) : (
        <Diff diff={diff.data} />
      )}
    </div>
  );
}
