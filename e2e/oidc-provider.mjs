// The Playwright webServer of a real OpenID Connect provider on loopback (node-oidc-provider), for
// e2e/oidc.spec.ts: one confidential client (Cairn's e2e server), the provider's own development
// login and consent pages (any password is accepted), and three people to sign in as, by login.
//
// Env: E2E_OIDC_PORT (3190), E2E_OIDC_CLIENT_ID, E2E_OIDC_CLIENT_SECRET, E2E_OIDC_REDIRECT_URI
// (Cairn's `/api/auth/callback/oidc`).
import { createServer } from "node:http";
import Provider from "oidc-provider";

const port = Number(process.env.E2E_OIDC_PORT || 3190);
const issuer = `http://127.0.0.1:${port}`;
const required = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`[e2e-oidc] set ${name}`);
  return value;
};

/** Logins the development login page takes, and the claims each one's userinfo answers with. */
const people = {
  alice: { email: "alice@first.example", email_verified: true, name: "Alice Example" },
  bob: { email: "bob@acme.example", email_verified: true, name: "Bob Acme" },
  eve: { email: "eve@first.example", email_verified: false, name: "Eve Unverified" },
};

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: required("E2E_OIDC_CLIENT_ID"),
      client_secret: required("E2E_OIDC_CLIENT_SECRET"),
      redirect_uris: [required("E2E_OIDC_REDIRECT_URI")],
      grant_types: ["authorization_code"],
      response_types: ["code"],
    },
  ],
  claims: { email: ["email", "email_verified"], profile: ["name"] },
  cookies: { keys: ["e2e-only-cookie-signing-key"] },
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => true },
  async findAccount(_ctx, sub) {
    const person = people[sub];
    if (!person) return undefined;
    return { accountId: sub, claims: async () => ({ sub, ...person }) };
  },
});
provider.on("server_error", (_ctx, error) => console.error(`[e2e-oidc] ${error.stack ?? error.message}`));

const server = createServer(provider.callback());
server.listen(port, "127.0.0.1", () => console.log(`[e2e-oidc] issuer ${issuer}`));
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => server.close(() => process.exit(0)));
