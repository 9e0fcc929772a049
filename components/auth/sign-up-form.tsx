"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { Button } from "@/components/ui/button";
import { InlineError } from "@/components/ui/error-state";
import { api, ApiClientError } from "@/lib/api/client";
import type { CreateUserBody } from "@/lib/api/schemas/accounts";
import { AuthField } from "./auth-field";
import { signInWithPassword } from "./sign-in-form";

export function SignUpForm() {
  const router = useRouter();
  const [error, setError] = useState<ApiClientError | Error | null>(null);
  const [pending, setPending] = useState(false);
  const fields = error instanceof ApiClientError ? error.fields : {};

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const body: CreateUserBody = {
      email: String(form.get("email")),
      password: String(form.get("password")),
      name: String(form.get("name") ?? "").trim() || undefined,
    };
    setPending(true);
    setError(null);
    try {
      await api.post("/api/v1/users", body);
      const problem = await signInWithPassword(body.email, body.password);
      if (problem) throw new Error(`Your account was created, but signing in failed: ${problem}`);
      router.replace("/checkpoints");
      router.refresh();
    } catch (caught) {
      setError(caught instanceof Error ? caught : new Error("Sign-up failed. Try again."));
      setPending(false);
    }
  }

  const fieldError = (name: string) => fields[name];
  const hasFieldErrors = Object.keys(fields).length > 0;

  return (
    <form onSubmit={submit} className="space-y-4">
      <div>
        <h1 className="text-lg font-semibold text-zinc-900">Create your account</h1>
        <p className="mt-1 text-sm text-zinc-500">You get your own organization to keep checkpoints in.</p>
      </div>
      <AuthField id="name" label="Name (optional)" autoComplete="name" autoFocus />
      <AuthField id="email" label="Email" type="email" autoComplete="email" required error={fieldError("email")} />
      <AuthField
        id="password"
        label="Password"
        type="password"
        autoComplete="new-password"
        required
        minLength={8}
        error={fieldError("password")}
        hint="At least 8 characters."
      />
      {error && !hasFieldErrors && <InlineError error={error} />}
      <Button type="submit" className="w-full" pending={pending}>
        Create account
      </Button>
      <p className="text-center text-sm text-zinc-500">
        Already have an account?{" "}
        <Link href="/signin" className="font-medium text-accent-600 hover:text-accent-700">
          Sign in
        </Link>
      </p>
    </form>
  );
}
