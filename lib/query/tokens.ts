import { queryOptions } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import type { issueToken, tokensOf } from "@/lib/auth/accounts";

export type ApiTokenSummary = Awaited<ReturnType<typeof tokensOf>>[number];
export type IssuedToken = Awaited<ReturnType<typeof issueToken>>;

export const tokenKeys = { all: ["tokens"] as const };

export const tokenListQuery = () =>
  queryOptions({
    queryKey: tokenKeys.all,
    queryFn: ({ signal }) => api.get<{ items: ApiTokenSummary[] }>("/api/v1/tokens", { signal }),
  });
