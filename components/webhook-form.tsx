"use client";

import { useState, type FormEvent } from "react";
import { ApiClientError } from "@/lib/api/client";
import type { CreatedWebhookResponse } from "@/lib/api/schemas/webhooks";
import { useCreateWebhook } from "@/lib/hooks/use-webhooks";
import { webhookEvents, type WebhookEvent } from "@/lib/webhooks/kinds";
import { webhookUrlProblem } from "@/lib/webhooks/url-rule";
import { Button } from "./ui/button";
import { InlineError } from "./ui/error-state";
import { Input } from "./ui/input";
import { FieldMessage, Label } from "./ui/label";

/** What each event means, in the words the form and the list use. */
export const webhookEventHelp: Record<WebhookEvent, string> = {
  "checkpoint.ready": "A checkpoint finished uploading, ingesting, capturing or deriving.",
  "checkpoint.failed": "An ingest or capture failed, or was cancelled.",
  "checkpoint.deleted": "A checkpoint was deleted, by a person or a retention policy.",
  "job.finished": "A job succeeded, failed or was stopped.",
  "capture.ready": "A job's output became a checkpoint.",
};

/** Creates a webhook: a URL and the events to send it. The secret comes back once, to the page. */
export function WebhookForm({ onCreated, onCancel }: { onCreated: (webhook: CreatedWebhookResponse) => void; onCancel: () => void }) {
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<WebhookEvent[]>(["checkpoint.ready"]);
  const [urlProblem, setUrlProblem] = useState<string | null>(null);
  const create = useCreateWebhook();
  const fields = create.error instanceof ApiClientError ? create.error.fields : {};
  const urlError = urlProblem ?? fields.url;
  const serverEventsError = Object.entries(fields).find(([key]) => key === "events" || key.startsWith("events."))?.[1];
  const eventsError = events.length === 0 ? "Pick at least one event to send." : serverEventsError;
  const fieldErrorShown = Boolean(urlError || serverEventsError);

  function toggle(event: WebhookEvent, on: boolean) {
    setEvents((current) => webhookEvents.filter((e) => (e === event ? on : current.includes(e))));
  }

  function submit(form: FormEvent<HTMLFormElement>) {
    form.preventDefault();
    const problem = webhookUrlProblem(url.trim());
    setUrlProblem(problem);
    if (problem || events.length === 0) return;
    create.mutate({ url: url.trim(), events }, { onSuccess: onCreated });
  }

  return (
    <form onSubmit={submit} className="space-y-5" noValidate>
      <div className="max-w-xl">
        <Label htmlFor="webhook-url">Payload URL</Label>
        <Input
          id="webhook-url"
          type="url"
          inputMode="url"
          value={url}
          onChange={(event) => {
            setUrl(event.target.value);
            setUrlProblem(null);
            if (create.error) create.reset();
          }}
          placeholder="https://ci.example.com/hooks/cairn"
          autoComplete="off"
          spellCheck={false}
          aria-invalid={urlError ? true : undefined}
          aria-describedby="webhook-url-message"
          className="mt-1.5 font-mono"
        />
        <FieldMessage id="webhook-url-message" error={Boolean(urlError)}>
          {urlError ?? "Cairn POSTs JSON here, signed in X-Cairn-Signature. It must be a public address; redirects are not followed."}
        </FieldMessage>
      </div>
      <fieldset aria-describedby={eventsError ? "webhook-events-message" : undefined}>
        <legend className="text-sm font-medium text-zinc-800">Events</legend>
        <div className="mt-2 grid gap-2 sm:grid-cols-2">
          {webhookEvents.map((event) => (
            <label
              key={event}
              className="flex cursor-pointer items-start gap-2.5 rounded-md border border-zinc-200 px-3 py-2 hover:bg-zinc-50 has-[:checked]:border-accent-300 has-[:checked]:bg-accent-50/40"
            >
              <input
                type="checkbox"
                checked={events.includes(event)}
                onChange={(change) => toggle(event, change.target.checked)}
                className="mt-0.5 size-4 shrink-0 rounded border-zinc-300 accent-accent-600"
              />
              <span className="min-w-0">
                <span className="block font-mono text-sm text-zinc-900">{event}</span>
                <span className="block text-xs text-zinc-500">{webhookEventHelp[event]}</span>
              </span>
            </label>
          ))}
        </div>
        {eventsError && (
          <FieldMessage id="webhook-events-message" error>
            {eventsError}
          </FieldMessage>
        )}
      </fieldset>
      {create.error && !fieldErrorShown && <InlineError error={create.error} />}
      <div className="flex flex-wrap gap-2">
        <Button type="submit" pending={create.isPending} disabled={url.trim() === "" || events.length === 0}>
          Create webhook
        </Button>
        <Button variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
