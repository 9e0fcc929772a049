import { queryOptions } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import type { WebhookDeliveryList, WebhookList } from "@/lib/api/schemas/webhooks";

export const webhookKeys = {
  all: ["webhooks"] as const,
  list: () => [...webhookKeys.all, "list"] as const,
  deliveries: (id: string) => [...webhookKeys.all, "deliveries", id] as const,
};

const newestPending = (data: WebhookList | undefined) => data?.items.some((hook) => hook.lastDelivery?.status === "pending") ?? false;
const anyPending = (data: WebhookDeliveryList | undefined) => data?.items.some((delivery) => delivery.status === "pending") ?? false;

/** The org's webhooks; polled while a newest delivery is still being tried, so its outcome shows up. */
export const webhookListQuery = () =>
  queryOptions({
    queryKey: webhookKeys.list(),
    queryFn: ({ signal }) => api.get<WebhookList>("/api/v1/webhooks", { signal }),
    refetchInterval: (query) => (newestPending(query.state.data) ? 2000 : false),
  });

/** One webhook's newest deliveries; polled while any is pending (queued or between retries) and otherwise every 10 s, to show new events. */
export const webhookDeliveriesQuery = (id: string) =>
  queryOptions({
    queryKey: webhookKeys.deliveries(id),
    queryFn: ({ signal }) => api.get<WebhookDeliveryList>(`/api/v1/webhooks/${encodeURIComponent(id)}/deliveries?limit=20`, { signal }),
    refetchInterval: (query) => (anyPending(query.state.data) ? 1500 : 10_000),
  });
