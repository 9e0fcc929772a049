"use client";

import type { ReactNode } from "react";
import type { CheckpointResponse } from "@/lib/api/schemas/checkpoints";
import { isComplete } from "@/lib/checkpoints/kinds";
import { factsSummary, formatParameters, type ModelFacts } from "@/lib/model-facts/kinds";
import { awaitingFacts } from "@/lib/query/checkpoints";
import { Skeleton } from "./ui/skeleton";

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs font-medium text-zinc-500">{label}</dt>
      <dd className="mt-0.5 truncate text-sm text-zinc-900">{children}</dd>
    </div>
  );
}

const unknown = <span className="text-zinc-400">—</span>;
const metricLabel = (key: string) => key.replace(/_/g, " ");
const metricValue = (value: number) => (Number.isInteger(value) ? value.toLocaleString() : String(Number(value.toPrecision(4))));

/** The dtype breakdown as "BF16 7.50 B · F32 0.53 B", largest first. */
function dtypes(facts: ModelFacts): string {
  return Object.entries(facts.parametersByDtype)
    .sort((a, b) => b[1] - a[1])
    .map(([dtype, count]) => `${dtype} ${formatParameters(count)}`)
    .join(" · ");
}

function Facts({ facts }: { facts: ModelFacts }) {
  const metrics = Object.entries(facts.metrics).slice(0, 6);
  return (
    <>
      <p className="mt-1 text-sm text-zinc-700" data-testid="model-summary">
        {factsSummary(facts) || "No model weights or configuration were found in this checkpoint."}
      </p>
      <dl className="mt-3 grid grid-cols-2 gap-x-4 gap-y-3 sm:grid-cols-3 lg:grid-cols-4">
        <Row label="Parameters">
          {facts.parameters !== null ? <span title={facts.parameters.toLocaleString()}>{formatParameters(facts.parameters)}</span> : unknown}
        </Row>
        <Row label="Format">{facts.format ?? unknown}</Row>
        <Row label="Dtypes">{dtypes(facts) || (facts.quantization ?? unknown)}</Row>
        <Row label="Architecture">{facts.architecture ?? unknown}</Row>
        <Row label="Tensors">{facts.tensors !== null ? facts.tensors.toLocaleString() : unknown}</Row>
        <Row label="Step">{facts.step !== null ? facts.step.toLocaleString() : unknown}</Row>
        {facts.config && (
          <Row label="Shape">
            {[
              facts.config.layers !== null && `${facts.config.layers} ${facts.config.layers === 1 ? "layer" : "layers"}`,
              facts.config.hiddenSize !== null && `hidden ${facts.config.hiddenSize}`,
              facts.config.vocabSize !== null && `vocab ${facts.config.vocabSize.toLocaleString()}`,
            ]
              .filter(Boolean)
              .join(" · ") || unknown}
          </Row>
        )}
        {facts.adapter && (
          <Row label="Adapter">
            {facts.adapter.type}
            {facts.adapter.r !== null && ` r=${facts.adapter.r}`}
            {facts.adapter.alpha !== null && ` α=${facts.adapter.alpha}`}
            {facts.adapter.targetModules.length > 0 && ` on ${facts.adapter.targetModules.join(", ")}`}
          </Row>
        )}
        {facts.pipeline && <Row label="Pipeline">{`${facts.pipeline.className ?? "Diffusers"} · ${facts.pipeline.components.join(", ")}`}</Row>}
        <Row label="Tokenizer">{facts.tokenizer ? "Included" : "None"}</Row>
        <Row label="License">{facts.license ?? unknown}</Row>
        <Row label="Inference">
          {facts.inferenceReady ? (
            <span className="text-emerald-700">Ready to load</span>
          ) : (
            <span className="text-zinc-500" title="Needs a config, weights and (for text models) a tokenizer">
              Not ready
            </span>
          )}
        </Row>
        {metrics.map(([key, value]) => (
          <Row key={key} label={metricLabel(key)}>
            <span className="tabular-nums">{metricValue(value)}</span>
          </Row>
        ))}
      </dl>
      {facts.problems.length > 0 && (
        <div role="status" className="mt-3 rounded-md border border-amber-200 bg-amber-50 p-3 text-sm text-amber-900">
          <p className="font-medium">
            {facts.problems.length === 1 ? "One file could not be read" : `${facts.problems.length} files could not be read`}; the checkpoint is still ready.
          </p>
          <ul className="mt-1 list-disc space-y-0.5 pl-5 font-mono text-xs break-all">
            {facts.problems.slice(0, 10).map((problem) => (
              <li key={problem}>{problem}</li>
            ))}
          </ul>
        </div>
      )}
    </>
  );
}

/**
 * What the checkpoint holds (`status.model`): parameters, dtypes, architecture, step, metrics,
 * adapter and license, read from the headers once it is ready. Nothing before it is complete.
 */
export function ModelCard({ checkpoint }: { checkpoint: CheckpointResponse }) {
  const { status } = checkpoint;
  if (!isComplete(status.status)) return null;
  return (
    <section aria-labelledby="model-heading" className="rounded-lg border border-zinc-200 bg-white p-4 shadow-sm">
      <h2 id="model-heading" className="text-sm font-semibold text-zinc-900">
        Model
      </h2>
      {status.model ? (
        <Facts facts={status.model} />
      ) : awaitingFacts(checkpoint) ? (
        <div className="mt-2 space-y-2" aria-busy="true">
          <p className="text-sm text-zinc-500">Reading the files&apos; headers…</p>
          <Skeleton className="h-4 w-2/3" />
        </div>
      ) : (
        <p className="mt-1 text-sm text-zinc-500">Model facts have not been read yet; they appear here within a few minutes.</p>
      )}
    </section>
  );
}
