"use client";

import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { signOut } from "next-auth/react";
import { useState, type ReactNode } from "react";
import { ApiClientError } from "@/lib/api/client";

/** A session the API no longer accepts (user gone, secret rotated) ends here instead of erroring everywhere. */
function signOutWhenUnauthorized(error: unknown) {
  if (error instanceof ApiClientError && error.status === 401 && window.location.pathname !== "/signin") {
    void signOut({ redirectTo: "/signin" });
  }
}

function makeQueryClient() {
  return new QueryClient({
    queryCache: new QueryCache({ onError: signOutWhenUnauthorized }),
    mutationCache: new MutationCache({ onError: signOutWhenUnauthorized }),
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        retry: (failures, error) => !(error instanceof ApiClientError && error.status >= 400 && error.status < 500) && failures < 2,
        refetchOnWindowFocus: true,
      },
    },
  });
}

export function Providers({ children }: { children: ReactNode }) {
  const [queryClient] = useState(makeQueryClient);
  return <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>;
}
