import { keepPreviousData, queryOptions } from "@tanstack/react-query";
import { api, searchParams } from "@/lib/api/client";
import type { AuditList } from "@/lib/api/schemas/audit";
import type { RetentionPolicyResponse, RetentionPreviewResponse, RetentionRuleBody } from "@/lib/api/schemas/retention";
import type { StorageResponse } from "@/lib/api/schemas/storage";

/** Storage use, retention policies and the audit log: what the Storage and Audit pages show. */
export const storageKeys = {
  all: ["storage"] as const,
  overview: () => [...storageKeys.all, "overview"] as const,
  policies: () => [...storageKeys.all, "policies"] as const,
  preview: (target: string | RetentionRuleBody) => [...storageKeys.all, "preview", target] as const,
  audit: (cursor: string | undefined) => ["audit", cursor ?? null] as const,
};

export const storageOverviewQuery = () =>
  queryOptions({
    queryKey: storageKeys.overview(),
    queryFn: ({ signal }) => api.get<StorageResponse>("/api/v1/storage", { signal }),
  });

export const retentionPoliciesQuery = () =>
  queryOptions({
    queryKey: storageKeys.policies(),
    queryFn: ({ signal }) => api.get<{ items: RetentionPolicyResponse[] }>("/api/v1/retention-policies", { signal }),
  });

/** What an unsaved rule would delete now (the form shows it before it saves). */
export const rulePreviewQuery = (rule: RetentionRuleBody) =>
  queryOptions({
    queryKey: storageKeys.preview(rule),
    queryFn: () => api.post<RetentionPreviewResponse>("/api/v1/retention-policies/preview", rule),
    placeholderData: keepPreviousData,
    staleTime: 5_000,
  });

export const policyPreviewQuery = (id: string) =>
  queryOptions({
    queryKey: storageKeys.preview(id),
    queryFn: () => api.post<RetentionPreviewResponse>(`/api/v1/retention-policies/${encodeURIComponent(id)}/preview`),
    staleTime: 5_000,
  });

export const auditQuery = (cursor: string | undefined) =>
  queryOptions({
    queryKey: storageKeys.audit(cursor),
    queryFn: ({ signal }) => api.get<AuditList>(`/api/v1/audit${searchParams({ cursor, limit: 50 })}`, { signal }),
    placeholderData: keepPreviousData,
  });
