"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import type { UpdateOrgBody } from "@/lib/api/schemas/accounts";
import { currentOrgKeys, currentOrgQuery, type CurrentOrg } from "@/lib/query/current-org";
import { meKeys } from "@/lib/query/me";

export function useCurrentOrg() {
  return useQuery(currentOrgQuery());
}

/** PATCH /orgs/current; the org's name and slug are also in `me`, so both are refreshed. */
export function useUpdateCurrentOrg() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: UpdateOrgBody) => api.patch<CurrentOrg>("/api/v1/orgs/current", body),
    onSuccess: (org) => {
      queryClient.setQueryData(currentOrgKeys.all, org);
      return queryClient.invalidateQueries({ queryKey: meKeys.all });
    },
  });
}
