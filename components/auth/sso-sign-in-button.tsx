"use client";

import { signIn } from "next-auth/react";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { InlineError } from "@/components/ui/error-state";
import { OIDC_PROVIDER_ID } from "@/lib/auth/sign-on";

/**
 * Starts single sign-on: Auth.js answers with the identity provider's URL and the browser goes
 * there (a navigation, so the page's `form-action 'self'` does not stand in the way).
 */
export function SsoSignInButton({ name, next, primary = false }: { name: string; next: string; primary?: boolean }) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function start() {
    setPending(true);
    setError(null);
    try {
      await signIn(OIDC_PROVIDER_ID, { redirectTo: next });
    } catch {
      setError("Could not reach the Cairn server. Check your connection and try again.");
      setPending(false);
    }
  }

  return (
    <div className="space-y-2">
      <Button variant={primary ? "primary" : "secondary"} className="w-full" pending={pending} onClick={() => void start()}>
        <KeyIcon />
        Sign in with {name}
      </Button>
      {error && <InlineError error={new Error(error)} />}
    </div>
  );
}

function KeyIcon() {
  return (
    <svg aria-hidden viewBox="0 0 20 20" fill="none" stroke="currentColor" strokeWidth="1.6" className="size-4">
      <circle cx="7" cy="10" r="3.25" />
      <path d="M10.25 10h7M15 10v2.75M17.25 10v2" strokeLinecap="round" />
    </svg>
  );
}
