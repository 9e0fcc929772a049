import type { Metadata } from "next";
import { connection } from "next/server";
import { SignUpClosed } from "@/components/auth/sign-up-closed";
import { SignUpForm } from "@/components/auth/sign-up-form";
import { config } from "@/lib/config";

export const metadata: Metadata = { title: "Create account" };

export default async function SignUpPage() {
  // The settings are the running server's, not the build's.
  await connection();
  const settings = config();
  if (settings.signupEnabled && settings.passwordSignIn) return <SignUpForm />;
  return <SignUpClosed signup={settings.signupEnabled} sso={settings.oidc?.name ?? null} />;
}
