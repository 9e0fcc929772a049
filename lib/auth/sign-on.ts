// What the sign-in page and the single sign-on rule (lib/auth/oidc.ts) share; pure, so the browser
// may import it.

/** The Auth.js provider id of single sign-on: the callback URL to register is `/api/auth/callback/oidc`. */
export const OIDC_PROVIDER_ID = "oidc";

/**
 * Why a sign-in ended on the sign-in page with `?error=<code>`: Cairn's own refusals of a single
 * sign-on, and the codes Auth.js sends there itself.
 */
export const oidcRefusals = ["EmailUnverified", "NoOrganization"] as const;
export type OidcRefusal = (typeof oidcRefusals)[number];

/** The sentence the sign-in page shows for an error code; `provider` is the single sign-on's name. */
export function signInErrorMessage(code: string, provider: string): string {
  switch (code) {
    case "EmailUnverified":
      return `${provider} did not confirm a verified email address for you, and Cairn matches accounts by verified email. Verify your email address with ${provider}, then sign in again.`;
    case "NoOrganization":
      return "Your email address belongs to no organization on this Cairn, and sign-up is turned off. Ask an administrator to add you (or your email domain, on the Members page), then sign in again.";
    case "AccessDenied":
      return "Sign-in was refused. If you should have access, ask an administrator to add you to an organization.";
    case "OAuthCallbackError":
    case "OAuthSignin":
    case "OAuthCallback":
      return `${provider} did not complete the sign-in: it was cancelled or refused there. Try again; if it keeps failing, ask your administrator to check the ${provider} settings for Cairn.`;
    case "OAuthAccountNotLinked":
    case "AccountNotLinked":
      return "This account is already linked to another sign-in method. Sign in the way you did before.";
    case "MissingCSRF":
      return "The sign-in form expired. Reload this page and try again.";
    case "Verification":
      return "This sign-in link has expired or was used already. Start again.";
    case "CredentialsSignin":
      return "Wrong email or password.";
    case "Configuration":
      return `Cairn could not complete the sign-in with ${provider}: the server could not reach it or is set up wrongly. Try again in a minute; if it keeps failing, ask your administrator to check Cairn's server log.`;
    default:
      return "Sign-in failed. Try again; if it keeps failing, ask your administrator to check Cairn's server log.";
  }
}
