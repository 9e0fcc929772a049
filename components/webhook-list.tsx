"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { WebhookResponse } from "@/lib/api/schemas/webhooks";
import { useDeleteWebhook, useWebhookDeliveries } from "@/lib/hooks/use-webhooks";
import { webhookKeys } from "@/lib/query/webhooks";
import { RelativeTime } from "./relative-time";
import { DeliveryStatus, WebhookDeliveries } from "./webhook-deliveries";
import { Button } from "./ui/button";
import { Dialog, DialogClose, DialogContent, DialogFooter, DialogTrigger } from "./ui/dialog";
import { InlineError } from "./ui/error-state";

function DeleteWebhookDialog({ webhook }: { webhook: WebhookResponse }) {
  const [open, setOpen] = useState(false);
  const remove = useDeleteWebhook();
  return (
    <Dialog
      open={open}
      onOpenChange={(value) => {
        setOpen(value);
        if (!value) remove.reset();
      }}
    >
      <DialogTrigger asChild>
        <Button variant="ghost" size="sm" className="text-red-600 hover:bg-red-50 hover:text-red-700" aria-label={`Delete webhook ${webhook.url}`}>
          Delete
        </Button>
      </DialogTrigger>
      <DialogContent
        title="Delete webhook"
        description={
          <>
            Events stop going to <span className="font-mono break-all">{webhook.url}</span>, and its delivery history is erased. This cannot be undone.
          </>
        }
      >
        {remove.error && <InlineError error={remove.error} />}
        <DialogFooter>
          <DialogClose asChild>
            <Button variant="secondary">Cancel</Button>
          </DialogClose>
          <Button variant="danger" pending={remove.isPending} onClick={() => remove.mutate(webhook.id, { onSuccess: () => setOpen(false) })}>
            Delete webhook
          </Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}

function WebhookCard({ webhook, canManage, initiallyOpen }: { webhook: WebhookResponse; canManage: boolean; initiallyOpen: boolean }) {
  const [open, setOpen] = useState(initiallyOpen);
  const queryClient = useQueryClient();
  // While the panel is open its (polled) list is newer than the webhook list's summary.
  const newest = useWebhookDeliveries(webhook.id, open).data?.items[0];
  const last = open && newest ? newest : webhook.lastDelivery;
  const panelId = `deliveries-${webhook.id}`;
  return (
    <li className="rounded-lg border border-zinc-200 bg-white shadow-sm">
      <div className="flex flex-wrap items-start justify-between gap-3 p-4">
        <div className="min-w-0 flex-1 basis-64">
          <p className="font-mono text-sm font-medium break-all text-zinc-900">{webhook.url}</p>
          <ul aria-label="Events" className="mt-2 flex flex-wrap gap-1.5">
            {webhook.events.map((event) => (
              <li key={event} className="rounded-md bg-zinc-100 px-1.5 py-0.5 font-mono text-xs text-zinc-700">
                {event}
              </li>
            ))}
          </ul>
          <p className="mt-2 flex flex-wrap items-center gap-x-4 gap-y-1 text-xs text-zinc-500">
            <span>
              Created <RelativeTime at={webhook.createdAt} suffix=" ago" />
            </span>
            {last ? (
              <span className="inline-flex items-center gap-1.5">
                Last delivery <DeliveryStatus status={last.status} />
                {last.responseStatus !== null && <span className="tabular-nums">HTTP {last.responseStatus}</span>}
                <RelativeTime at={last.createdAt} suffix=" ago" />
              </span>
            ) : (
              <span>Nothing delivered yet</span>
            )}
          </p>
        </div>
        <div className="flex flex-wrap gap-2">
          <Button
            variant="secondary"
            size="sm"
            aria-expanded={open}
            aria-controls={panelId}
            onClick={() => {
              // Closing hands the summary back to the webhook list: fetch it fresh.
              if (open) void queryClient.invalidateQueries({ queryKey: webhookKeys.list() });
              setOpen(!open);
            }}
          >
            {open ? "Hide deliveries" : "Deliveries"}
          </Button>
          {canManage && <DeleteWebhookDialog webhook={webhook} />}
        </div>
      </div>
      {open && (
        <section id={panelId} aria-label={`Deliveries to ${webhook.url}`} className="border-t border-zinc-100 bg-zinc-50/40">
          <WebhookDeliveries webhookId={webhook.id} canManage={canManage} />
        </section>
      )}
    </li>
  );
}

/** The org's webhooks as cards; each opens its deliveries. `openId`: the one just created starts open. */
export function WebhookList({ webhooks, canManage, openId }: { webhooks: WebhookResponse[]; canManage: boolean; openId: string | null }) {
  return (
    <ul aria-label="Webhooks" className="space-y-3">
      {webhooks.map((webhook) => (
        <WebhookCard key={webhook.id} webhook={webhook} canManage={canManage} initiallyOpen={webhook.id === openId} />
      ))}
    </ul>
  );
}
