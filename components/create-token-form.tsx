"use client";

import { useState, type FormEvent } from "react";
import { ApiClientError } from "@/lib/api/client";
import { useCreateToken } from "@/lib/hooks/use-tokens";
import { Button } from "./ui/button";
import { CopyButton } from "./ui/copy-button";
import { InlineError } from "./ui/error-state";
import { Input } from "./ui/input";
import { FieldMessage, Label } from "./ui/label";

/** Creates an API token and shows its secret this once. */
export function CreateTokenForm() {
  const [name, setName] = useState("");
  const create = useCreateToken();
  const fieldError = create.error instanceof ApiClientError ? create.error.fields.name : undefined;

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    create.mutate({ name: name.trim() }, { onSuccess: () => setName("") });
  }

  return (
    <div className="space-y-4">
      <form onSubmit={submit} className="flex flex-wrap items-end gap-2">
        <div className="w-full max-w-xs">
          <Label htmlFor="token-name">Token name</Label>
          <Input
            id="token-name"
            value={name}
            onChange={(event) => setName(event.target.value)}
            placeholder="ci-runner"
            autoComplete="off"
            maxLength={100}
            aria-invalid={fieldError ? true : undefined}
            aria-describedby={fieldError ? "token-name-message" : undefined}
            className="mt-1.5"
          />
        </div>
        <Button type="submit" pending={create.isPending} disabled={name.trim() === ""}>
          Create token
        </Button>
        {fieldError && (
          <div className="w-full">
            <FieldMessage id="token-name-message" error>
              {fieldError}
            </FieldMessage>
          </div>
        )}
      </form>
      {create.error && !fieldError && <InlineError error={create.error} />}
      {create.data && (
        <div role="status" className="rounded-lg border border-amber-300 bg-amber-50 p-4">
          <p className="text-sm font-semibold text-amber-900">Copy your new token “{create.data.name}” now</p>
          <p className="mt-0.5 text-sm text-amber-800">It won’t be shown again. Use it as <code className="font-mono">Authorization: Bearer &lt;token&gt;</code>.</p>
          <div className="mt-3 flex items-center gap-2">
            <code aria-label="New API token" className="min-w-0 flex-1 truncate rounded-md border border-amber-200 bg-white px-3 py-2 font-mono text-sm text-zinc-900 select-all">
              {create.data.token}
            </code>
            <CopyButton value={create.data.token} label="Copy token" size="md" />
          </div>
          <button type="button" onClick={() => create.reset()} className="mt-3 text-xs font-medium text-amber-900 underline hover:no-underline">
            I have copied it, hide it
          </button>
        </div>
      )}
    </div>
  );
}
