import Link from "next/link";
import { SignInForm } from "./sign-in-form";
import { SsoSignInButton } from "./sso-sign-in-button";

export type SignInMethods = {
  /** The single sign-on's name for its button, or null when it is not configured. */
  sso: string | null;
  password: boolean;
  signup: boolean;
};

/** The sign-in page: why the last attempt failed, single sign-on, email and password — whichever the server allows. */
export function SignInPanel({ next, methods, error }: { next: string; methods: SignInMethods; error: string | null }) {
  const { sso, password, signup } = methods;
  return (
    <div className="space-y-5">
      <div>
        <h1 className="text-lg font-semibold text-zinc-900">Sign in</h1>
        <p className="mt-1 text-sm text-zinc-500">
          {password || !sso ? "Welcome back. Sign in to manage your checkpoints." : `Use your ${sso} account to manage your checkpoints.`}
        </p>
      </div>
      {error && (
        <div role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2.5 text-sm text-red-700">
          <p className="font-medium text-red-800">Sign-in did not work</p>
          <p className="mt-0.5">{error}</p>
        </div>
      )}
      {sso && <SsoSignInButton name={sso} next={next} primary={!password} />}
      {sso && password && (
        <div className="flex items-center gap-3 text-xs text-zinc-400" aria-hidden>
          <span className="h-px flex-1 bg-zinc-200" />
          or with email
          <span className="h-px flex-1 bg-zinc-200" />
        </div>
      )}
      {password && <SignInForm next={next} />}
      {!sso && !password && (
        <p className="text-sm text-zinc-600">
          No way to sign in is turned on for this server. Ask your administrator to set up single sign-on or to allow password sign-in.
        </p>
      )}
      {password && signup && (
        <p className="text-center text-sm text-zinc-500">
          No account yet?{" "}
          <Link href="/signup" className="font-medium text-accent-600 hover:text-accent-700">
            Create one
          </Link>
        </p>
      )}
    </div>
  );
}
