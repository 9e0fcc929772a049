import { queryOptions } from "@tanstack/react-query";
import { api, searchParams } from "@/lib/api/client";
import type { ConnectionResponse, Provider } from "@/lib/api/schemas/connections";

export type ConnectionList = { items: ConnectionResponse[]; nextCursor: string | null; total: number };
/** What `POST /connections/{ref}/test` answers: whether the credentials reached the store, and why not. */
export type ConnectionTestResult = { ok: boolean; message: string };

export const connectionKeys = {
  all: ["connections"] as const,
  list: (provider?: Provider) => [...connectionKeys.all, "list", provider ?? "any"] as const,
};

/** Path of a connection (or a sub-resource of it) in the API; `ref` is an id or a name. */
export function connectionPath(ref: string, rest = ""): string {
  return `/api/v1/connections/${encodeURIComponent(ref)}${rest}`;
}

export const connectionListQuery = (provider?: Provider) =>
  queryOptions({
    queryKey: connectionKeys.list(provider),
    queryFn: ({ signal }) => api.get<ConnectionList>(`/api/v1/connections${searchParams({ provider })}`, { signal }),
    // The create form links to the Connections page in a new tab; coming back should show what was added there.
    refetchOnWindowFocus: "always",
  });
