"use client";

import { useState } from "react";
import type { CreatedWebhookResponse } from "@/lib/api/schemas/webhooks";
import { useMe } from "@/lib/hooks/use-me";
import { useWebhooks } from "@/lib/hooks/use-webhooks";
import { WebhookForm } from "./webhook-form";
import { WebhookList } from "./webhook-list";
import { WebhookSecret } from "./webhook-secret";
import { Button } from "./ui/button";
import { EmptyState } from "./ui/empty-state";
import { ErrorState } from "./ui/error-state";
import { Skeleton } from "./ui/skeleton";

function HookIcon() {
  return (
    <svg aria-hidden viewBox="0 0 24 24" className="size-8" fill="none" stroke="currentColor" strokeWidth="1.5">
      <path d="M9 7.5a3 3 0 1 1 4.2 2.75L10 16" />
      <path d="M7 13.5a3 3 0 1 0 3 3h6" />
      <path d="M15.5 19.5a3 3 0 1 0-1.2-5.75L11 8" />
    </svg>
  );
}

/**
 * The organization's webhooks: owners and admins add one (URL and events; its secret is shown
 * once) or delete it; everyone sees each webhook's deliveries, and admins redeliver them.
 */
export function WebhooksPage() {
  const webhooks = useWebhooks();
  const me = useMe();
  const role = me.data?.org.role;
  const canManage = role === "owner" || role === "admin";
  const [formOpen, setFormOpen] = useState(false);
  const [created, setCreated] = useState<CreatedWebhookResponse | null>(null);

  const showForm = canManage && formOpen;
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 className="text-xl font-semibold tracking-tight text-zinc-900">Webhooks</h1>
          <p className="mt-1 max-w-2xl text-sm text-zinc-500">
            Cairn POSTs checkpoint and job events to your URLs as JSON, signed with each webhook’s secret, and retries with backoff until the receiver answers 2xx.
          </p>
        </div>
        {canManage && !showForm && (
          <Button
            onClick={() => {
              setCreated(null);
              setFormOpen(true);
            }}
          >
            New webhook
          </Button>
        )}
      </div>
      {me.data && !canManage && (
        <p className="rounded-md border border-zinc-200 bg-zinc-50 px-3 py-2 text-sm text-zinc-600">
          Only owners and admins of this organization add, delete and redeliver webhooks. You can see them and their deliveries.
        </p>
      )}
      {created && <WebhookSecret webhook={created} onDismiss={() => setCreated(null)} />}
      {showForm && (
        <section className="rounded-lg border border-zinc-200 bg-white p-5 shadow-sm" aria-labelledby="new-webhook-heading">
          <h2 id="new-webhook-heading" className="mb-4 text-sm font-semibold text-zinc-900">
            New webhook
          </h2>
          <WebhookForm
            onCreated={(webhook) => {
              setCreated(webhook);
              setFormOpen(false);
            }}
            onCancel={() => setFormOpen(false)}
          />
        </section>
      )}
      {webhooks.isPending ? (
        <div className="space-y-3" aria-busy="true" aria-label="Loading webhooks">
          {Array.from({ length: 2 }, (_, i) => (
            <Skeleton key={i} className="h-24 w-full" />
          ))}
        </div>
      ) : webhooks.isError ? (
        <ErrorState title="Could not load webhooks" error={webhooks.error} onRetry={() => void webhooks.refetch()} />
      ) : webhooks.data.items.length === 0 ? (
        !showForm && (
          <EmptyState
            icon={<HookIcon />}
            title="No webhooks yet"
            description="Tell CI or a chat bot when a checkpoint is ready, a job finishes or a capture lands. Each delivery is signed so the receiver can trust it."
            action={canManage ? <Button onClick={() => setFormOpen(true)}>Add a webhook</Button> : undefined}
          />
        )
      ) : (
        <WebhookList webhooks={webhooks.data.items} canManage={canManage} openId={created?.id ?? null} />
      )}
    </div>
  );
}
