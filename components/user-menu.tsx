"use client";

import { useQueryClient } from "@tanstack/react-query";
import { signOut } from "next-auth/react";
import { useState } from "react";
import { Button } from "./ui/button";

export function UserMenu({ email }: { email: string }) {
  const queryClient = useQueryClient();
  const [pending, setPending] = useState(false);

  async function leave() {
    setPending(true);
    queryClient.clear();
    await signOut({ redirectTo: "/signin" });
  }

  return (
    <div className="flex items-center gap-2 border-l border-zinc-200 pl-3">
      <span className="hidden max-w-48 truncate text-sm text-zinc-600 sm:inline" title={email}>
        {email}
      </span>
      <Button variant="ghost" size="sm" onClick={leave} pending={pending}>
        Sign out
      </Button>
    </div>
  );
}
