import type { Metadata } from "next";
import { SignInPanel } from "@/components/auth/sign-in-panel";
import { signInErrorMessage } from "@/lib/auth/sign-on";
import { config } from "@/lib/config";

export const metadata: Metadata = { title: "Sign in" };

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ callbackUrl?: string; error?: string }> }) {
  const { callbackUrl, error } = await searchParams;
  // Only same-site paths: never send a user to another origin after sign-in.
  const next = callbackUrl?.startsWith("/") && !callbackUrl.startsWith("//") ? callbackUrl : "/checkpoints";
  const settings = config();
  const sso = settings.oidc?.name ?? null;
  return (
    <SignInPanel
      next={next}
      methods={{ sso, password: settings.passwordSignIn, signup: settings.signupEnabled }}
      error={error ? signInErrorMessage(error, sso ?? "The identity provider") : null}
    />
  );
}
