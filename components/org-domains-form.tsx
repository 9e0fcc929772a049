"use client";

import { useState, type FormEvent } from "react";
import { ApiClientError } from "@/lib/api/client";
import { useCurrentOrg, useUpdateCurrentOrg } from "@/lib/hooks/use-current-org";
import { Button } from "./ui/button";
import { ErrorState, InlineError } from "./ui/error-state";
import { Input } from "./ui/input";
import { FieldMessage, Label } from "./ui/label";
import { Skeleton } from "./ui/skeleton";

const splitDomains = (text: string) =>
  text
    .split(/[\s,;]+/)
    .map((domain) => domain.trim().toLowerCase())
    .filter(Boolean);

/** The first rule a domain broke, naming it: the API names the field `allowedEmailDomains.<index>`. */
function domainProblem(error: unknown, domains: string[]): string | null {
  if (!(error instanceof ApiClientError)) return null;
  const entry = Object.entries(error.fields).find(([field]) => field.startsWith("allowedEmailDomains"));
  if (!entry) return null;
  const domain = domains[Number(entry[0].split(".")[1])];
  return domain ? `${domain}: ${entry[1]}` : entry[1];
}

/** The email domains whose single-sign-on users join this organization as members; admins edit them. */
export function OrgDomainsForm({ canEdit }: { canEdit: boolean }) {
  const org = useCurrentOrg();
  const update = useUpdateCurrentOrg();
  const [draft, setDraft] = useState<string | null>(null);
  const saved = org.data?.allowedEmailDomains ?? [];
  const text = draft ?? saved.join(", ");
  const problem = domainProblem(update.error, splitDomains(text));

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    update.mutate({ allowedEmailDomains: [...new Set(splitDomains(text))] }, { onSuccess: () => setDraft(null) });
  }

  return (
    <section className="rounded-lg border border-zinc-200 bg-white p-5 shadow-sm" aria-labelledby="org-domains-heading">
      <h2 id="org-domains-heading" className="text-sm font-semibold text-zinc-900">
        Single sign-on domains
      </h2>
      <p className="mt-1 text-xs text-zinc-500">
        People who sign in with single sign-on and an email address at one of these domains join this organization as members. Existing roles stay as they are.
      </p>
      <div className="mt-3">
        {org.isPending ? (
          <Skeleton className="h-9 w-full max-w-md" />
        ) : org.error ? (
          <ErrorState error={org.error} onRetry={() => void org.refetch()} title="Could not load the organization" />
        ) : canEdit ? (
          <form onSubmit={submit} className="space-y-3">
            <div className="flex flex-wrap items-end gap-2">
              <div className="w-full max-w-md">
                <Label htmlFor="org-domains">Email domains</Label>
                <Input
                  id="org-domains"
                  value={text}
                  onChange={(event) => {
                    setDraft(event.target.value);
                    if (update.error || update.isSuccess) update.reset();
                  }}
                  placeholder="example.com, lab.example.org"
                  autoComplete="off"
                  spellCheck={false}
                  aria-invalid={problem ? true : undefined}
                  aria-describedby="org-domains-message"
                  className="mt-1.5"
                />
              </div>
              <Button type="submit" pending={update.isPending} disabled={draft === null}>
                Save domains
              </Button>
            </div>
            {problem ? (
              <FieldMessage id="org-domains-message" error>
                {problem}
              </FieldMessage>
            ) : (
              <FieldMessage id="org-domains-message">Separate domains with commas. Leave empty to let nobody join this way.</FieldMessage>
            )}
            {update.error && !problem && <InlineError error={update.error} />}
            {update.isSuccess && draft === null && (
              <p role="status" className="text-sm text-emerald-700">
                {saved.length > 0 ? `Saved: ${saved.join(", ")}.` : "Saved: nobody joins through single sign-on."}
              </p>
            )}
          </form>
        ) : (
          <p className="text-sm break-words text-zinc-700">{saved.length > 0 ? saved.join(", ") : "None: only people an admin adds are members."}</p>
        )}
      </div>
    </section>
  );
}
