"use client";

import Link from "next/link";
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
      <div>
        <h1 className="text-lg font-semibold text-zinc-900">Sign in</h1>
        <p className="mt-1 text-sm text-zinc-500">Welcome back. Sign in to manage your checkpoints.</p>
      </div>
      <AuthField id="email" label="Email" type="email" autoComplete="email" required autoFocus />
      <AuthField id="password" label="Password" type="password" autoComplete="current-password" required />
      {error && <InlineError error={new Error(error)} />}
      <Button type="submit" className="w-full" pending={pending}>
        Sign in
      </Button>
      <p className="text-center text-sm text-zinc-500">
        No account yet?{" "}
        <Link href="/signup" className="font-medium text-accent-600 hover:text-accent-700">
          Create one
        </Link>
      </p>
    </form>
  );
}
