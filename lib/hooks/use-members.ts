"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import type { AddMemberBody } from "@/lib/api/schemas/accounts";
import { memberKeys, memberListQuery, type AddedMember } from "@/lib/query/members";

export function useMembers() {
  return useQuery(memberListQuery());
}

export function useAddMember() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: AddMemberBody) => api.post<AddedMember>("/api/v1/orgs/current/members", body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: memberKeys.all }),
  });
}
