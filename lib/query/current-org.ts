import { queryOptions } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import type { currentOrg } from "@/lib/auth/orgs";

export type CurrentOrg = Awaited<ReturnType<typeof currentOrg>>;

export const currentOrgKeys = { all: ["orgs", "current"] as const };

export const currentOrgQuery = () =>
  queryOptions({
    queryKey: currentOrgKeys.all,
    queryFn: ({ signal }) => api.get<CurrentOrg>("/api/v1/orgs/current", { signal }),
  });
