"use client";

import { connectionSpec, type ConnectionField } from "@/lib/sources/specs";
import { Input } from "./ui/input";
import { FieldMessage, Label } from "./ui/label";

export type { ConnectionField };

/** A provider's inputs, as its spec declares them (checked there against the provider's schemas). */
export function connectionFieldsOf(provider: string): readonly ConnectionField[] {
  return connectionSpec(provider)?.fields ?? [];
}

/** The API's field path for an input, as `details.fields` names it. */
export const fieldPath = (field: ConnectionField) => `${field.group}.${field.key}`;

const inputId = (field: ConnectionField) => `connection-${field.group}-${field.key}`;

/** One provider's inputs. Uncontrolled: secrets live only in the inputs until the form is sent. */
export function ConnectionFieldInputs({ fields, errors }: { fields: readonly ConnectionField[]; errors: Record<string, string> }) {
  return (
    <div className="grid gap-4 sm:grid-cols-2">
      {fields.map((field) => {
        const id = inputId(field);
        const error = errors[fieldPath(field)];
        const messageId = `${id}-message`;
        if (field.kind === "checkbox") {
          return (
            <div key={id} className="sm:col-span-2">
              <label htmlFor={id} className="flex items-center gap-2 text-sm font-medium text-zinc-800">
                <input id={id} name={fieldPath(field)} type="checkbox" className="size-4 accent-accent-600" aria-describedby={messageId} />
                {field.label}
              </label>
              <FieldMessage id={messageId} error={Boolean(error)}>
                {error ?? field.hint}
              </FieldMessage>
            </div>
          );
        }
        const common = {
          id,
          name: fieldPath(field),
          placeholder: field.placeholder,
          autoComplete: "off",
          spellCheck: false,
          "aria-invalid": error ? true : undefined,
          "aria-describedby": error || field.hint ? messageId : undefined,
        } as const;
        return (
          <div key={id} className={field.kind === "multiline" ? "sm:col-span-2" : undefined}>
            <Label htmlFor={id}>
              {field.label}
              {!field.required && <span className="font-normal text-zinc-400"> (optional)</span>}
            </Label>
            {field.kind === "multiline" ? (
              // A key with line breaks cannot go through a password input (it strips them), so the
              // text area is masked instead.
              <textarea
                {...common}
                rows={4}
                className={`mt-1.5 block w-full rounded-md border bg-white px-3 py-2 font-mono text-xs text-zinc-900 shadow-sm [-webkit-text-security:disc] placeholder:text-zinc-400 focus:outline-none focus-visible:outline-2 ${error ? "border-red-400" : "border-zinc-300"}`}
              />
            ) : (
              <Input {...common} type={field.group === "secret" ? "password" : field.kind === "url" ? "url" : "text"} className="mt-1.5 font-mono" />
            )}
            {(error || field.hint) && (
              <FieldMessage id={messageId} error={Boolean(error)}>
                {error ?? field.hint}
              </FieldMessage>
            )}
          </div>
        );
      })}
    </div>
  );
}

/** The request body's `config` and `secret` from the form: empty inputs left out, checkboxes as booleans. */
export function readConnectionFields(form: FormData, fields: readonly ConnectionField[]) {
  const config: Record<string, string | boolean> = {};
  const secret: Record<string, string> = {};
  for (const field of fields) {
    if (field.kind === "checkbox") {
      if (form.get(fieldPath(field)) !== null) config[field.key] = true;
      continue;
    }
    const raw = String(form.get(fieldPath(field)) ?? "");
    const value = field.group === "secret" ? raw : raw.trim();
    if (value.trim() === "") continue;
    if (field.group === "secret") secret[field.key] = value;
    else config[field.key] = value;
  }
  return { config, secret };
}
