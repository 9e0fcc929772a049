import Link from "next/link";
import { SsoSignInButton } from "./sso-sign-in-button";

/**
 * The sign-up page when there is no password sign-up: turned off (`signup` false), or accounts
 * come from single sign-on (`sso`, its name), which makes them on first sign-in.
 */
export function SignUpClosed({ signup, sso }: { signup: boolean; sso: string | null }) {
  return (
    <div className="space-y-5">
      <div>
        <h1 className="text-lg font-semibold text-zinc-900">{signup ? "Create your account" : "Sign-up is turned off"}</h1>
        <p className="mt-1 text-sm text-zinc-600">
          {!signup
            ? "This server does not take new sign-ups. Ask an administrator to add you to an organization, then sign in."
            : sso
              ? `Accounts on this server come from ${sso}: sign in with it and your account is made on the way.`
              : "Password sign-in is turned off on this server. Ask your administrator how to get an account."}
        </p>
      </div>
      {signup && sso && <SsoSignInButton name={sso} next="/checkpoints" primary />}
      <p className="text-center text-sm text-zinc-500">
        {signup ? "Already have an account?" : "Have an account?"}{" "}
        <Link href="/signin" className="font-medium text-accent-600 hover:text-accent-700">
          Sign in
        </Link>
      </p>
    </div>
  );
}
