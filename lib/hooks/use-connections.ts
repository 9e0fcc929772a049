"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import type { ConnectionResponse, CreateConnectionBody } from "@/lib/api/schemas/connections";
import { connectionKeys, connectionListQuery, connectionPath, type ConnectionTestResult } from "@/lib/query/connections";

export function useConnections() {
  return useQuery(connectionListQuery());
}

/**
 * Creates a connection. The request carries the secret, so the mutation is dropped from the cache
 * as soon as nothing observes it (`gcTime: 0`); callers also `reset()` it once it settles.
 */
export function useCreateConnection() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateConnectionBody) => api.post<ConnectionResponse>("/api/v1/connections", body),
    gcTime: 0,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: connectionKeys.all }),
  });
}

export function useDeleteConnection() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.delete(connectionPath(id)),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: connectionKeys.all }),
  });
}

/** Asks the server to reach the store with the connection's credentials. */
export function useTestConnection() {
  return useMutation({ mutationFn: (id: string) => api.post<ConnectionTestResult>(connectionPath(id, "/test")) });
}
