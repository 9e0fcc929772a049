import { queryOptions } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import type { describeCaller } from "@/lib/auth/me";

export type Me = Awaited<ReturnType<typeof describeCaller>>;

/** Mirrors ORG_COOKIE in lib/auth/caller (a server module the browser must not import). */
export const ORG_COOKIE_NAME = "cairn-org";

export const meKeys = { all: ["me"] as const };

export const meQuery = () =>
  queryOptions({
    queryKey: meKeys.all,
    queryFn: ({ signal }) => api.get<Me>("/api/v1/me", { signal }),
  });
