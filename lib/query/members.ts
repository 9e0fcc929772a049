import { queryOptions } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import type { addMember, membersOf } from "@/lib/auth/accounts";

export type Member = Awaited<ReturnType<typeof membersOf>>[number];
export type AddedMember = Awaited<ReturnType<typeof addMember>>;

export const memberKeys = { all: ["members"] as const };

export const memberListQuery = () =>
  queryOptions({
    queryKey: memberKeys.all,
    queryFn: ({ signal }) => api.get<{ items: Member[] }>("/api/v1/orgs/current/members", { signal }),
  });
