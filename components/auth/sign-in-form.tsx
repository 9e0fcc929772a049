"use client";

import { useRouter } from "next/navigation";
import { signIn } from "next-auth/react";
import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/button";
import { InlineError } from "@/components/ui/error-state";
import { AuthField } from "./auth-field";

/** Signs in with email and password; resolves to an error message or null. */
export async function signInWithPassword(email: string, password: string): Promise<string | null> {
  const result = await signIn("credentials", { email, password, redirect: false });
  if (result?.status === 429 || result?.code === "rate_limited") return "Too many failed sign-ins. Wait a few minutes, then try again.";
  if (!result || result.error) return "Wrong email or password.";
  return null;
}

/** The email and password form; where it goes after signing in is `next`. */
export function SignInForm({ next }: { next: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    setError(null);
    try {
      const problem = await signInWithPassword(String(form.get("email")), String(form.get("password")));
      if (problem) return setError(problem);
      router.replace(next);
      router.refresh();
    } catch {
      setError("Could not reach the Cairn server. Check your connection and try again.");
    } finally {
      setPending(false);
    }
  }

  return (
    <form onSubmit={submit} className="space-y-4">
      <AuthField id="email" label="Email" type="email" autoComplete="email" required autoFocus />
      <AuthField id="password" label="Password" type="password" autoComplete="current-password" required />
      {error && <InlineError error={new Error(error)} />}
      <Button type="submit" className="w-full" pending={pending}>
        Sign in
      </Button>
    </form>
  );
}
