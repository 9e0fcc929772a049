"use client";

import type { WebhookDeliveryResponse } from "@/lib/api/schemas/webhooks";
import { useRedeliver, useWebhookDeliveries } from "@/lib/hooks/use-webhooks";
import { RelativeTime } from "./relative-time";
import { Button } from "./ui/button";
import { ErrorState, InlineError } from "./ui/error-state";
import { Skeleton } from "./ui/skeleton";
import { StatusPill, type StatusLook } from "./ui/status-pill";

const look: Record<WebhookDeliveryResponse["status"], StatusLook> = {
  pending: { tone: "accent", label: "Pending", live: true },
  succeeded: { tone: "success", label: "Delivered" },
  failed: { tone: "danger", label: "Failed" },
};

export function DeliveryStatus({ status }: { status: WebhookDeliveryResponse["status"] }) {
  return <StatusPill {...look[status]} />;
}

function DeliveryRow({ delivery, webhookId, canManage }: { delivery: WebhookDeliveryResponse; webhookId: string; canManage: boolean }) {
  const redeliver = useRedeliver(webhookId);
  const answered = delivery.responseStatus !== null;
  return (
    <li className="px-3 py-2.5 sm:px-4">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1.5">
        <DeliveryStatus status={delivery.status} />
        <span className="min-w-0 font-mono text-sm text-zinc-900">{delivery.event}</span>
        <span className="text-xs text-zinc-500 tabular-nums">
          {answered ? (
            <>
              HTTP <span className={delivery.responseStatus !== null && delivery.responseStatus < 300 ? "text-emerald-700" : "text-red-700"}>{delivery.responseStatus}</span>
            </>
          ) : (
            "No answer"
          )}
        </span>
        <span className="text-xs text-zinc-500 tabular-nums">
          {delivery.attempts} {delivery.attempts === 1 ? "attempt" : "attempts"}
        </span>
        <span className="text-xs text-zinc-500">
          <RelativeTime at={delivery.lastAttemptAt ?? delivery.createdAt} suffix=" ago" />
        </span>
        {canManage && (
          <Button
            variant="secondary"
            size="sm"
            className="ml-auto"
            pending={redeliver.isPending}
            disabled={delivery.status === "pending"}
            title={delivery.status === "pending" ? "Still being tried; redeliver once it has succeeded or failed." : undefined}
            onClick={() => redeliver.mutate(delivery.id)}
            aria-label={`Redeliver ${delivery.event} ${delivery.id.slice(0, 8)}`}
          >
            Redeliver
          </Button>
        )}
      </div>
      {delivery.error && (
        <p className="mt-1.5 text-xs break-words text-red-700">
          {delivery.status === "pending" ? "Retrying after: " : ""}
          {delivery.error}
        </p>
      )}
      <p className="mt-1 font-mono text-[11px] text-zinc-400">X-Cairn-Delivery: {delivery.id}</p>
      {redeliver.error && (
        <div className="mt-2">
          <InlineError error={redeliver.error} />
        </div>
      )}
    </li>
  );
}

/** A webhook's newest deliveries: outcome, response code, attempts and age, each with *Redeliver*. */
export function WebhookDeliveries({ webhookId, canManage }: { webhookId: string; canManage: boolean }) {
  const deliveries = useWebhookDeliveries(webhookId);
  if (deliveries.isPending) {
    return (
      <div className="space-y-2 p-3" aria-busy="true" aria-label="Loading deliveries">
        {Array.from({ length: 2 }, (_, i) => (
          <Skeleton key={i} className="h-9 w-full" />
        ))}
      </div>
    );
  }
  if (deliveries.isError) {
    return (
      <div className="p-3">
        <ErrorState title="Could not load deliveries" error={deliveries.error} onRetry={() => void deliveries.refetch()} />
      </div>
    );
  }
  const { items, total } = deliveries.data;
  if (items.length === 0) {
    return (
      <p className="px-4 py-5 text-sm text-zinc-500">
        No deliveries yet. One appears here as soon as a subscribed event happens — for example when a checkpoint becomes ready.
      </p>
    );
  }
  return (
    <div>
      <ul aria-label="Deliveries" className="divide-y divide-zinc-100">
        {items.map((delivery) => (
          <DeliveryRow key={delivery.id} delivery={delivery} webhookId={webhookId} canManage={canManage} />
        ))}
      </ul>
      {total > items.length && (
        <p className="border-t border-zinc-100 px-4 py-2 text-xs text-zinc-500">
          Showing the newest {items.length} of {total}. Older ones are in <code className="font-mono">GET /api/v1/webhooks/{"{id}"}/deliveries?cursor=…</code>.
        </p>
      )}
    </div>
  );
}
