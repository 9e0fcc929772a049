import type { NextAuthConfig } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { z } from "zod";
import { config } from "@/lib/config";
import { getDb } from "@/lib/db/client";
import { verifyCredentials } from "./accounts";
import { oidcProvider, signInWithOidc, userIdForOidc } from "./oidc";
import { authSecret } from "./secret";
import { OIDC_PROVIDER_ID } from "./sign-on";

const credentials = z.object({ email: z.string().min(1), password: z.string().min(1) });

const passwordProvider = Credentials({
  credentials: { email: { label: "Email" }, password: { label: "Password", type: "password" } },
  async authorize(raw) {
    const parsed = credentials.safeParse(raw);
    if (!parsed.success) return null;
    const user = await verifyCredentials(await getDb(), parsed.data.email, parsed.data.password);
    return user ? { id: user.id, email: user.email, name: user.name } : null;
  },
});

/**
 * Auth.js for this server's settings, read when a request needs it: email and password unless
 * `CAIRN_PASSWORD_SIGNIN=false`, OpenID Connect when `CAIRN_OIDC_*` is set. Every error lands on
 * the sign-in page with `?error=<code>`. The session's `sub` is always our users.id.
 */
export function authConfig(): NextAuthConfig {
  const oidc = oidcProvider();
  return {
    trustHost: true,
    secret: authSecret(),
    session: { strategy: "jwt", maxAge: 30 * 24 * 60 * 60 },
    pages: { signIn: "/signin", error: "/signin" },
    providers: [...(config().passwordSignIn ? [passwordProvider] : []), ...(oidc ? [oidc] : [])],
    callbacks: {
      async signIn({ account, profile }) {
        if (account?.provider !== OIDC_PROVIDER_ID) return true;
        const outcome = await signInWithOidc(await getDb(), profile ?? {});
        return "refused" in outcome ? `/signin?error=${outcome.refused}` : true;
      },
      async jwt({ token, account, profile }) {
        if (account?.provider === OIDC_PROVIDER_ID) token.sub = await userIdForOidc(await getDb(), profile ?? {});
        return token;
      },
    },
  };
}
