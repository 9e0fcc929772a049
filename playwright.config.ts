import { defineConfig, devices, type PlaywrightTestConfig } from "@playwright/test";

const PORT = Number(process.env.E2E_PORT || 3100);
export const baseURL = `http://127.0.0.1:${PORT}`;
/** A second Cairn, on the Slurm runner against a real one-node cluster (e2e/jobs-slurm.spec.ts). */
const SLURM_PORT = Number(process.env.E2E_SLURM_PORT || 3101);
export const slurmBaseURL = `http://127.0.0.1:${SLURM_PORT}`;
/** The Slurm server serves the first server's build: it waits for a `.next` newer than this run. */
const RUN_STARTED_AT = process.env.E2E_RUN_STARTED_AT || String(Date.now());
process.env.E2E_RUN_STARTED_AT = RUN_STARTED_AT;

/**
 * A third Cairn, signing in only through a real OpenID Connect provider on loopback (e2e/oidc.spec.ts,
 * e2e/oidc-provider.mjs); like the Slurm server it serves the first server's build, once that answers.
 */
const OIDC_CAIRN_PORT = Number(process.env.E2E_OIDC_CAIRN_PORT || 3102);
// `localhost`: Next.js turns a loopback address in a request's URL into localhost, so that is the
// origin of Auth.js's callback URL here; the browser must use it too to keep its cookies.
export const oidcBaseURL = `http://localhost:${OIDC_CAIRN_PORT}`;
const OIDC_ISSUER_PORT = Number(process.env.E2E_OIDC_PORT || 3190);
export const oidcIssuer = `http://127.0.0.1:${OIDC_ISSUER_PORT}`;
const OIDC_CLIENT = { id: "cairn-e2e", secret: "e2e-only-client-secret" };
const oidcWebServers: Extract<PlaywrightTestConfig["webServer"], unknown[]> = [
  {
    command: "node e2e/oidc-provider.mjs",
    url: `${oidcIssuer}/.well-known/openid-configuration`,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: "pipe",
    env: {
      E2E_OIDC_PORT: String(OIDC_ISSUER_PORT),
      E2E_OIDC_CLIENT_ID: OIDC_CLIENT.id,
      E2E_OIDC_CLIENT_SECRET: OIDC_CLIENT.secret,
      E2E_OIDC_REDIRECT_URI: `${oidcBaseURL}/api/auth/callback/oidc`,
    },
  },
  {
    command: `until curl -sf ${baseURL}/api/health > /dev/null; do sleep 1; done; rm -rf .test-data/e2e-oidc && exec node node_modules/next/dist/bin/next start -p ${OIDC_CAIRN_PORT} -H 127.0.0.1`,
    url: `http://127.0.0.1:${OIDC_CAIRN_PORT}/api/health`,
    timeout: 360_000,
    reuseExistingServer: false,
    stdout: "pipe",
    env: {
      CAIRN_DATA_DIR: ".test-data/e2e-oidc",
      CAIRN_AGENT_SERVER_URL: oidcBaseURL,
      CAIRN_OIDC_ISSUER: oidcIssuer,
      CAIRN_OIDC_CLIENT_ID: OIDC_CLIENT.id,
      CAIRN_OIDC_CLIENT_SECRET: OIDC_CLIENT.secret,
      CAIRN_OIDC_NAME: "Loopback ID",
      CAIRN_PASSWORD_SIGNIN: "false",
    },
  },
];

export default defineConfig({
  testDir: "./e2e",
  outputDir: "./test-results",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 15_000 },
  reporter: [["list"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
      ],
    },
  },
  projects: [
    { name: "setup", testMatch: /.*\.setup\.ts/ },
    {
      name: "chromium",
      use: { ...devices["Desktop Chrome"], storageState: "test-results/.auth/user.json" },
      dependencies: ["setup"],
    },
  ],
  webServer: [
    {
      command: `rm -rf .test-data/e2e && npx next build && npx next start -p ${PORT} -H 127.0.0.1`,
      url: `${baseURL}/api/health`,
      timeout: 300_000,
      reuseExistingServer: false,
      stdout: "pipe",
      env: {
        CAIRN_DATA_DIR: ".test-data/e2e",
        CAIRN_UPLOAD_EXPIRY_HOURS: "24",
        CAIRN_ALLOW_PRIVATE_SOURCES: "127.0.0.0/8",
        CAIRN_CAPTURE_QUIET_SECONDS: "1",
        CAIRN_AGENT_SERVER_URL: baseURL,
      },
    },
    {
      // Boots the Slurm cluster, waits for the build above (never builds itself), serves it, and
      // stops the cluster on SIGTERM, which Playwright sends the whole process group at the end.
      command: "node --import tsx scripts/e2e-slurm-server.mjs",
      url: `${slurmBaseURL}/api/health`,
      timeout: 360_000,
      reuseExistingServer: false,
      stdout: "pipe",
      gracefulShutdown: { signal: "SIGTERM", timeout: 30_000 },
      env: {
        E2E_SLURM_PORT: String(SLURM_PORT),
        E2E_BUILD_AFTER: RUN_STARTED_AT,
        E2E_BUILD_READY_URL: `${baseURL}/api/health`,
        CAIRN_DATA_DIR: ".test-data/e2e-slurm",
        CAIRN_JOB_RUNNER: "slurm",
        CAIRN_AGENT_SERVER_URL: slurmBaseURL,
        CAIRN_CAPTURE_QUIET_SECONDS: "1",
        CAIRN_ALLOW_PRIVATE_SOURCES: "127.0.0.0/8",
        CAIRN_UPLOAD_EXPIRY_HOURS: "24",
        CAIRN_JOB_STOP_GRACE_SECONDS: "3",
        // Small enough that a 3 MiB output cannot be captured (the failed-capture state), big
        // enough for the seed checkpoint and the small captures of the other jobs.
        CAIRN_ORG_QUOTA_BYTES: String(2 * 1024 * 1024),
      },
    },
    ...oidcWebServers,
  ],
});
