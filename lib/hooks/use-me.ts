"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useCallback } from "react";
import { meQuery, ORG_COOKIE_NAME } from "@/lib/query/me";

export function useMe() {
  return useQuery(meQuery());
}

/** Whether the current role may change content (everyone but viewers). */
export function useCanWrite(): boolean {
  const { data } = useMe();
  return data !== undefined && data.org.role !== "viewer";
}

/** Switches the current organization: the API reads it from a cookie, so every query is stale after. */
export function useSwitchOrg() {
  const queryClient = useQueryClient();
  const router = useRouter();
  return useCallback(
    async (orgId: string) => {
      document.cookie = `${ORG_COOKIE_NAME}=${encodeURIComponent(orgId)}; path=/; max-age=31536000; samesite=lax`;
      await queryClient.resetQueries();
      router.refresh();
    },
    [queryClient, router],
  );
}
