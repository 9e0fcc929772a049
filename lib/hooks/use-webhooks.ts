"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import type { CreatedWebhookResponse, CreateWebhookBody, WebhookDeliveryResponse } from "@/lib/api/schemas/webhooks";
import { webhookDeliveriesQuery, webhookKeys, webhookListQuery } from "@/lib/query/webhooks";

export function useWebhooks() {
  return useQuery(webhookListQuery());
}

/** `enabled: false` reads what the cache holds without fetching (a closed panel). */
export function useWebhookDeliveries(id: string, enabled = true) {
  return useQuery({ ...webhookDeliveriesQuery(id), enabled });
}

export function useCreateWebhook() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateWebhookBody) => api.post<CreatedWebhookResponse>("/api/v1/webhooks", body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: webhookKeys.list() }),
  });
}

export function useDeleteWebhook() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.delete(`/api/v1/webhooks/${encodeURIComponent(id)}`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: webhookKeys.all }),
  });
}

export function useRedeliver(webhookId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (deliveryId: string) =>
      api.post<WebhookDeliveryResponse>(`/api/v1/webhooks/${encodeURIComponent(webhookId)}/deliveries/${encodeURIComponent(deliveryId)}/redeliver`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: webhookKeys.all }),
  });
}
