"use client";

import { useRef, useState, type FormEvent, type ReactNode } from "react";
import { ApiClientError } from "@/lib/api/client";
import { providers, type Provider } from "@/lib/api/schemas/connections";
import { NAME_RULE, nameProblem } from "@/lib/checkpoints/naming";
import { useCreateConnection } from "@/lib/hooks/use-connections";
import { ConnectionFieldInputs, connectionFieldsOf, fieldPath, readConnectionFields } from "./connection-fields";
import { providerLabel } from "./connection-provider";
import { Button } from "./ui/button";
import { InlineError } from "./ui/error-state";
import { Input, Select } from "./ui/input";
import { FieldMessage, Label } from "./ui/label";

const isProvider = (value: string | null): value is Provider => (providers as readonly string[]).includes(value ?? "");

/**
 * A new storage connection: a name, a provider and that provider's settings and credentials.
 * Secrets stay in the (uncontrolled) inputs until sent; the form is cleared once the server has them.
 */
export function CreateConnectionForm({ initialProvider, onCreated, onCancel }: { initialProvider?: string | null; onCreated: (name: string) => void; onCancel: () => void }) {
  const formRef = useRef<HTMLFormElement>(null);
  const [provider, setProvider] = useState<Provider>(isProvider(initialProvider ?? null) ? (initialProvider as Provider) : "s3");
  const [name, setName] = useState("");
  const [touched, setTouched] = useState(false);
  // The error is kept here rather than on the mutation, so the mutation (whose variables hold the
  // secret) can be reset the moment it settles.
  const [error, setError] = useState<unknown>(null);
  const create = useCreateConnection();
  const fields = connectionFieldsOf(provider);
  const fieldErrors = error instanceof ApiClientError ? error.fields : {};
  const problem = nameProblem(name);
  // A taken name comes back as `conflict`, whose message says what to do better than the field's.
  const serverNameMessage = fieldErrors.name && error instanceof ApiClientError && error.code === "conflict" ? error.message : fieldErrors.name;
  const nameMessage = (touched || name.length > 0) && problem ? problem : (serverNameMessage ?? null);
  // Errors on fields the form shows appear there; anything else (or none named) goes under the form.
  const shownFieldError = Object.keys(fieldErrors).some((key) => key === "name" || fields.some((f) => fieldPath(f) === key));

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setTouched(true);
    if (problem) return;
    const { config, secret } = readConnectionFields(new FormData(event.currentTarget), fields);
    setError(null);
    create.mutate(
      { name, provider, config, secret },
      {
        onSuccess: (connection) => {
          formRef.current?.reset();
          setName("");
          setTouched(false);
          onCreated(connection.name);
        },
        onError: (failure) => {
          setError(failure);
          // Take the user to the first field the server named (after React has marked it invalid).
          requestAnimationFrame(() => formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
        },
        onSettled: () => create.reset(),
      },
    );
  }

  return (
    <form ref={formRef} onSubmit={submit} onChange={() => error && setError(null)} noValidate className="space-y-5" aria-label="New connection">
      <div className="grid gap-4 sm:grid-cols-2">
        <div>
          <Label htmlFor="connection-name">Name</Label>
          <Input
            id="connection-name"
            value={name}
            onChange={(event) => setName(event.target.value)}
            onBlur={() => setTouched(true)}
            autoComplete="off"
            spellCheck={false}
            placeholder="team-bucket"
            aria-invalid={nameMessage ? true : undefined}
            aria-describedby="connection-name-message"
            className="mt-1.5 font-mono"
          />
          <FieldMessage id="connection-name-message" error={Boolean(nameMessage)}>
            {nameMessage ?? NAME_RULE}
          </FieldMessage>
        </div>
        <div>
          <Label htmlFor="connection-provider">Provider</Label>
          <Select
            id="connection-provider"
            value={provider}
            onChange={(event) => {
              setProvider(event.target.value as Provider);
              setError(null);
            }}
            className="mt-1.5 w-full"
          >
            {providers.map((p) => (
              <option key={p} value={p}>
                {providerLabel(p)}
              </option>
            ))}
          </Select>
        </div>
      </div>
      <FieldGroup title="Settings" description="Stored as they are and shown in the list.">
        <ConnectionFieldInputs key={`${provider}-config`} fields={fields.filter((f) => f.group === "config")} errors={fieldErrors} />
      </FieldGroup>
      <FieldGroup title="Credentials" description="Encrypted at rest. Never shown again, not even to you.">
        <ConnectionFieldInputs key={`${provider}-secret`} fields={fields.filter((f) => f.group === "secret")} errors={fieldErrors} />
      </FieldGroup>
      {error !== null && !shownFieldError && <InlineError error={error} />}
      <div className="flex justify-end gap-2 border-t border-zinc-200 pt-4">
        <Button variant="ghost" onClick={onCancel}>
          Cancel
        </Button>
        <Button type="submit" pending={create.isPending}>
          Create connection
        </Button>
      </div>
    </form>
  );
}

function FieldGroup({ title, description, children }: { title: string; description: string; children: ReactNode }) {
  return (
    <fieldset className="space-y-3">
      <legend className="text-sm font-semibold text-zinc-900">
        {title} <span className="ml-1 text-xs font-normal text-zinc-500">{description}</span>
      </legend>
      {children}
    </fieldset>
  );
}
