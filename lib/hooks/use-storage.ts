"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import type { CreateRetentionPolicyBody, RetentionApplyResponse, RetentionPolicyResponse, RetentionRuleBody } from "@/lib/api/schemas/retention";
import { checkpointKeys } from "@/lib/query/checkpoints";
import { meKeys } from "@/lib/query/me";
import { auditQuery, policyPreviewQuery, retentionPoliciesQuery, rulePreviewQuery, storageKeys, storageOverviewQuery } from "@/lib/query/storage";

export function useStorageOverview() {
  return useQuery(storageOverviewQuery());
}

export function useRetentionPolicies() {
  return useQuery(retentionPoliciesQuery());
}

/** The preview of the rule being written; `null` (an incomplete rule) asks for nothing. */
export function useRulePreview(rule: RetentionRuleBody | null) {
  return useQuery({ ...rulePreviewQuery(rule ?? { match: {} }), enabled: rule !== null });
}

export function usePolicyPreview(id: string, enabled: boolean) {
  return useQuery({ ...policyPreviewQuery(id), enabled });
}

export function useAuditLog(cursor: string | undefined) {
  return useQuery(auditQuery(cursor));
}

export function useCreatePolicy() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateRetentionPolicyBody) => api.post<RetentionPolicyResponse>("/api/v1/retention-policies", body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: storageKeys.policies() }),
  });
}

export function useDeletePolicy() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.delete(`/api/v1/retention-policies/${encodeURIComponent(id)}`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: storageKeys.policies() }),
  });
}

/** Applies a policy now; what it deleted changes usage, lists, previews and the audit log. */
export function useApplyPolicy() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => api.post<RetentionApplyResponse>(`/api/v1/retention-policies/${encodeURIComponent(id)}/apply`),
    onSuccess: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: storageKeys.all }),
        queryClient.invalidateQueries({ queryKey: ["audit"] }),
        queryClient.invalidateQueries({ queryKey: checkpointKeys.lists() }),
        queryClient.invalidateQueries({ queryKey: meKeys.all }),
      ]),
  });
}
