"use client";

import type { Provider, ProviderConfig, ProviderSecret } from "@/lib/api/schemas/connections";
import { Input } from "./ui/input";
import { FieldMessage, Label } from "./ui/label";

/**
 * One input of a provider's connection form: `config` fields are stored as they are and shown in
 * the list; `secret` fields are encrypted at rest, typed into password inputs and never shown.
 */
export type ConnectionField = {
  group: "config" | "secret";
  key: string;
  label: string;
  kind?: "text" | "url" | "checkbox" | "multiline";
  placeholder?: string;
  hint?: string;
  required?: boolean;
};

/** A field whose key the provider's zod schema really has, so a renamed schema key fails type checking here. */
type FieldOf<P extends Provider> = ConnectionField &
  ({ group: "config"; key: keyof ProviderConfig<P> & string } | { group: "secret"; key: keyof ProviderSecret<P> & string });

/** The fields of `providerConfig` / `providerSecret` (lib/api/schemas/connections.ts), per provider. */
export const connectionFields: { [P in Provider]: FieldOf<P>[] } = {
  s3: [
    { group: "secret", key: "accessKeyId", label: "Access key ID", required: true },
    { group: "secret", key: "secretAccessKey", label: "Secret access key", required: true },
    { group: "secret", key: "sessionToken", label: "Session token", hint: "Only for temporary (STS) credentials." },
    { group: "config", key: "endpoint", label: "Endpoint", kind: "url", placeholder: "https://s3.example.com", hint: "Leave empty for AWS. Set it for R2, MinIO, Ceph or Wasabi." },
    { group: "config", key: "region", label: "Region", placeholder: "us-east-1" },
    { group: "config", key: "forcePathStyle", label: "Path-style addressing", kind: "checkbox", hint: "Requests go to endpoint/bucket/key. Most S3-compatible servers need this." },
  ],
  gcs: [
    { group: "secret", key: "credentialsJson", label: "Service account key (JSON)", kind: "multiline", required: true, placeholder: '{"type": "service_account", …}' },
    { group: "config", key: "projectId", label: "Project ID", placeholder: "my-project" },
    { group: "config", key: "apiEndpoint", label: "API endpoint", kind: "url", placeholder: "https://storage.googleapis.com", hint: "Leave empty for Google Cloud." },
  ],
  azure: [
    { group: "config", key: "accountName", label: "Storage account", placeholder: "mystorageaccount" },
    { group: "secret", key: "accountKey", label: "Account key", hint: "Give one of account key, SAS token or connection string." },
    { group: "secret", key: "sasToken", label: "SAS token" },
    { group: "secret", key: "connectionString", label: "Connection string" },
    { group: "config", key: "endpoint", label: "Endpoint", kind: "url", placeholder: "https://<account>.blob.core.windows.net", hint: "Leave empty for Azure's public cloud." },
  ],
  huggingface: [
    { group: "secret", key: "token", label: "Access token", required: true, placeholder: "hf_…", hint: "A read token is enough, also for gated repositories you were granted." },
    { group: "config", key: "endpoint", label: "Hub endpoint", kind: "url", placeholder: "https://huggingface.co", hint: "Leave empty for huggingface.co." },
  ],
  git: [
    { group: "config", key: "username", label: "Username", hint: "For HTTPS remotes." },
    { group: "secret", key: "password", label: "Password or access token", hint: "For HTTPS remotes." },
    { group: "secret", key: "sshPrivateKey", label: "SSH private key", kind: "multiline", placeholder: "-----BEGIN OPENSSH PRIVATE KEY-----", hint: "For ssh:// and git@host: remotes." },
  ],
  kaggle: [
    { group: "config", key: "username", label: "Username" },
    { group: "secret", key: "key", label: "API key", required: true, hint: "From kaggle.json (Account → Create New Token)." },
    { group: "config", key: "baseUrl", label: "API base URL", kind: "url", placeholder: "https://www.kaggle.com/api/v1", hint: "Leave empty for kaggle.com." },
  ],
};

/** The API's field path for an input, as `details.fields` names it. */
export const fieldPath = (field: ConnectionField) => `${field.group}.${field.key}`;

const inputId = (field: ConnectionField) => `connection-${field.group}-${field.key}`;

/** One provider's inputs. Uncontrolled: secrets live only in the inputs until the form is sent. */
export function ConnectionFieldInputs({ fields, errors }: { fields: ConnectionField[]; errors: Record<string, string> }) {
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
export function readConnectionFields(form: FormData, fields: ConnectionField[]) {
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
