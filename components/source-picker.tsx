"use client";

import { useState } from "react";
import type { SourceType } from "@/lib/checkpoints/kinds";
import { connectionProvidersFor, sourcePathProblem, sourceSpec } from "@/lib/sources/specs";
import { ConnectionSelect } from "./connection-select";
import type { AvailableSourceTypeOption, SourceOptionField } from "./source-types";
import { cn } from "./ui/cn";
import { Input, Select } from "./ui/input";
import { FieldMessage, Label } from "./ui/label";

/** Where the checkpoint's files come from: one card per source type this server offers. */
export function SourcePicker({
  options,
  value,
  onChange,
}: {
  options: AvailableSourceTypeOption[];
  value: SourceType;
  onChange: (type: SourceType) => void;
}) {
  return (
    <fieldset>
      <legend className="text-sm font-medium text-zinc-800">Source</legend>
      <div className="mt-1.5 grid gap-2 sm:grid-cols-2">
        {options
          .filter((option) => option.available)
          .map((option) => {
            const selected = option.type === value;
            return (
              <label
                key={option.type}
                className={cn(
                  "relative flex cursor-pointer gap-3 rounded-lg border bg-white p-3 transition-colors has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-accent-500",
                  selected ? "border-accent-500 bg-accent-50/60 ring-1 ring-accent-500" : "border-zinc-200 hover:border-zinc-300",
                )}
              >
                <input
                  type="radio"
                  name="sourceType"
                  value={option.type}
                  checked={selected}
                  onChange={() => onChange(option.type)}
                  className="mt-0.5 size-4 shrink-0 accent-accent-600"
                />
                <span>
                  <span className="block text-sm font-medium text-zinc-900">{option.label}</span>
                  <span className="mt-0.5 block text-xs text-zinc-500">{option.description}</span>
                </span>
              </label>
            );
          })}
      </div>
    </fieldset>
  );
}

/** The path input: the type's rule checked as the user types, and the API's verdict once sent. */
function SourcePathField({ option, serverError, submitted }: { option: AvailableSourceTypeOption; serverError?: string; submitted: boolean }) {
  const [uri, setUri] = useState("");
  const problem = sourcePathProblem(option.type, uri.trim());
  // An empty field is not an error until the user tries to send it; until then the rule is a hint.
  const shownProblem = serverError ?? (uri.trim() !== "" || submitted ? problem : null);
  const rule = sourceSpec(option.type)?.path.rule;
  return (
    <div>
      <Label htmlFor="source-uri">Path</Label>
      <Input
        id="source-uri"
        name="sourceUri"
        value={uri}
        onChange={(event) => setUri(event.target.value)}
        required
        autoComplete="off"
        spellCheck={false}
        placeholder={option.uriPlaceholder}
        aria-invalid={shownProblem ? true : undefined}
        aria-describedby="source-uri-message"
        className="mt-1.5 font-mono"
      />
      <FieldMessage id="source-uri-message" error={Boolean(shownProblem)}>
        {shownProblem ?? (uri.trim() && !problem ? <span className="text-emerald-700">✓ {rule}</span> : rule)}
      </FieldMessage>
    </div>
  );
}

function SourceOptionInput({ field, error }: { field: SourceOptionField; error?: string }) {
  const id = `source-option-${field.key}`;
  const messageId = `${id}-message`;
  const common = { id, name: `option.${field.key}`, "aria-invalid": error ? true : undefined, "aria-describedby": messageId, className: "mt-1.5 w-full" } as const;
  return (
    <div>
      <Label htmlFor={id}>
        {field.label} <span className="font-normal text-zinc-400">(optional)</span>
      </Label>
      {field.choices ? (
        <Select {...common} defaultValue="">
          {field.choices.map((choice) => (
            <option key={choice.value} value={choice.value}>
              {choice.label}
            </option>
          ))}
        </Select>
      ) : (
        <Input {...common} type={field.kind ?? "text"} autoComplete="off" spellCheck={false} placeholder={field.placeholder} className="mt-1.5 font-mono" />
      )}
      <FieldMessage id={messageId} error={Boolean(error)}>
        {error ?? field.hint}
      </FieldMessage>
    </div>
  );
}

/**
 * Where a remote source's bytes are: the path, a connection that fits the type (if it takes one)
 * and the type's options. Mount it with `key={type}` so switching types starts afresh.
 */
export function SourceLocationFields({ option, fields, submitted }: { option: AvailableSourceTypeOption; fields: Record<string, string>; submitted: boolean }) {
  const providers = connectionProvidersFor(option.type);
  const optionFields = option.optionFields ?? [];
  return (
    <div className="space-y-4 rounded-lg border border-zinc-200 bg-zinc-50/60 p-4">
      <SourcePathField option={option} serverError={fields.sourceUri} submitted={submitted} />
      {(providers.length > 0 || optionFields.length > 0) && (
        <div className="grid gap-4 sm:grid-cols-2">
          {providers.length > 0 && <ConnectionSelect providers={providers} error={fields.connection} />}
          {optionFields.map((field) => (
            <SourceOptionInput key={field.key} field={field} error={fields[`sourceOptions.${field.key}`] ?? fields.sourceOptions} />
          ))}
        </div>
      )}
    </div>
  );
}

/** The `sourceOptions` the user filled in, from the form's `option.<key>` fields. */
export function readSourceOptions(form: FormData, option: AvailableSourceTypeOption): Record<string, string> | undefined {
  const entries = (option.optionFields ?? [])
    .map((field) => [field.key, String(form.get(`option.${field.key}`) ?? "").trim()] as const)
    .filter(([, value]) => value !== "");
  return entries.length ? Object.fromEntries(entries) : undefined;
}
