import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { runnerKinds, type RunnerKind } from "@/lib/jobs/kinds";

// Sizes are shown in powers of 1024 (as the reference CLI does), so the defaults are too.
const GB = 1024 ** 3;

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  }
  return Math.floor(value);
}

/** The data directory holding the embedded database, blobs, uploads and generated keys. */
export function dataDir(): string {
  return path.resolve(process.env.CAIRN_DATA_DIR || "./.data");
}

function runnerFromEnv(): RunnerKind {
  const raw = process.env.CAIRN_JOB_RUNNER || "local";
  const runner = runnerKinds.find((kind) => kind === raw);
  if (!runner) throw new Error(`CAIRN_JOB_RUNNER must be one of ${runnerKinds.join(", ")}, got "${raw}"`);
  return runner;
}

/** `CAIRN_AGENT_COMMAND` as argv (split on spaces), else this Node running this install's `bin/cairn.mjs`. */
function agentCommandFromEnv(): string[] {
  const raw = process.env.CAIRN_AGENT_COMMAND?.trim();
  if (raw) return raw.split(/\s+/);
  return [process.execPath, path.join(process.cwd(), "bin", "cairn.mjs")];
}

/** Which organizations an email domain joins on single sign-on, from `CAIRN_OIDC_ORG_DOMAINS=example.com=acme,lab.org=research`. */
function orgDomainsFromEnv(): { domain: string; orgSlug: string }[] {
  const raw = process.env.CAIRN_OIDC_ORG_DOMAINS?.trim();
  if (!raw) return [];
  return raw.split(",").map((entry) => {
    const [domain = "", orgSlug = "", ...rest] = entry.trim().split("=").map((part) => part.trim().toLowerCase());
    if (!domain || !orgSlug || rest.length > 0 || domain.includes("@")) {
      throw new Error(`CAIRN_OIDC_ORG_DOMAINS must list domain=org-slug pairs separated by commas (example.com=acme,lab.org=research); "${entry.trim()}" is not one`);
    }
    return { domain, orgSlug };
  });
}

/** OpenID Connect sign-in, or null unless the issuer, client id and client secret are all set. */
function oidcFromEnv() {
  const issuer = process.env.CAIRN_OIDC_ISSUER?.trim();
  const clientId = process.env.CAIRN_OIDC_CLIENT_ID?.trim();
  const clientSecret = process.env.CAIRN_OIDC_CLIENT_SECRET;
  if (!issuer || !clientId || !clientSecret) return null;
  return { issuer, clientId, clientSecret, name: process.env.CAIRN_OIDC_NAME?.trim() || "SSO", orgDomains: orgDomainsFromEnv() };
}

/** Every setting Cairn reads from the environment, with its embedded default. */
export function config() {
  return {
    dataDir: dataDir(),
    databaseUrl: process.env.DATABASE_URL || null,
    storage: (process.env.CAIRN_STORAGE === "s3" ? "s3" : "fs") as "fs" | "s3",
    s3: {
      bucket: process.env.CAIRN_S3_BUCKET || "",
      endpoint: process.env.CAIRN_S3_ENDPOINT || undefined,
      forcePathStyle: process.env.CAIRN_S3_FORCE_PATH_STYLE === "true",
      region: process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || "us-east-1",
    },
    maxCheckpointBytes: intFromEnv("CAIRN_MAX_CHECKPOINT_BYTES", 500 * GB),
    orgQuotaBytes: intFromEnv("CAIRN_ORG_QUOTA_BYTES", 50 * GB),
    uploadExpiryHours: intFromEnv("CAIRN_UPLOAD_EXPIRY_HOURS", 24),
    signupEnabled: process.env.CAIRN_SIGNUP !== "false",
    /** Email and password sign-in, and HTTP Basic with a password; off, people sign in through `oidc` and scripts use API tokens. */
    passwordSignIn: process.env.CAIRN_PASSWORD_SIGNIN !== "false",
    oidc: oidcFromEnv(),
    maxRunningJobs: Math.max(1, intFromEnv("CAIRN_MAX_RUNNING_JOBS", 2)),
    jobStopGraceSeconds: intFromEnv("CAIRN_JOB_STOP_GRACE_SECONDS", 10),
    captureQuietSeconds: intFromEnv("CAIRN_CAPTURE_QUIET_SECONDS", 30),
    // A server running as root runs jobs as this uid/gid (default nobody), so read-only inputs stay read-only.
    jobUid: process.getuid?.() === 0 ? intFromEnv("CAIRN_JOB_UID", 65534) : null,
    jobGid: process.getuid?.() === 0 ? intFromEnv("CAIRN_JOB_GID", 65534) : null,
    jobRunner: runnerFromEnv(),
    /** Where job agents reach this server's API (a cluster's nodes need an address they can route to). */
    agentServerUrl: (process.env.CAIRN_AGENT_SERVER_URL || `http://127.0.0.1:${process.env.PORT || "3000"}`).replace(/\/+$/, ""),
    agentHeartbeatSeconds: Math.max(0.2, Number(process.env.CAIRN_AGENT_HEARTBEAT_SECONDS || 1)),
    /** A running job whose agent has been silent this long is failed as "agent lost" (its outputs stay). */
    agentLostSeconds: intFromEnv("CAIRN_AGENT_LOST_SECONDS", 120),
    /** After a job ended with captures failed, how long its agent keeps the files at hand for *Retry capture*. */
    captureLingerSeconds: intFromEnv("CAIRN_CAPTURE_LINGER_SECONDS", 3600),
    slurm: {
      /** Job directories (inputs, outputs, the agent's state): a path the server and every compute node share. */
      workDir: process.env.CAIRN_SLURM_WORK_DIR || path.join(dataDir(), "jobs"),
      partition: process.env.CAIRN_SLURM_PARTITION || null,
      restUrl: process.env.CAIRN_SLURM_REST_URL || null,
      restToken: process.env.CAIRN_SLURM_REST_TOKEN || process.env.SLURM_JWT || null,
      restUser: process.env.CAIRN_SLURM_REST_USER || null,
    },
    kubernetes: {
      namespace: process.env.CAIRN_K8S_NAMESPACE || "default",
      jobImage: process.env.CAIRN_JOB_IMAGE || null,
      agentImage: process.env.CAIRN_AGENT_IMAGE || "ghcr.io/cairn-dev/cairn-agent:latest",
      ttlSecondsAfterFinished: intFromEnv("CAIRN_K8S_TTL_SECONDS", 3600),
    },
    /** How a machine that runs jobs starts the agent: Node with this install's CLI, unless told otherwise. */
    agentCommand: agentCommandFromEnv(),
    /** Limits on abuse, counted in the database (shared by replicas); a limit of 0 turns it off. */
    rateLimits: {
      /** Failed sign-ins and HTTP Basic attempts per client address, and per account, per window. */
      signInPerAddress: intFromEnv("CAIRN_RATE_LIMIT_SIGNIN_PER_ADDRESS", 10),
      signInPerAccount: intFromEnv("CAIRN_RATE_LIMIT_SIGNIN_PER_ACCOUNT", 50),
      signInWindowSeconds: Math.max(1, intFromEnv("CAIRN_RATE_LIMIT_SIGNIN_WINDOW_SECONDS", 15 * 60)),
      signUpPerAddress: intFromEnv("CAIRN_RATE_LIMIT_SIGNUP_PER_ADDRESS", 30),
      signUpWindowSeconds: Math.max(1, intFromEnv("CAIRN_RATE_LIMIT_SIGNUP_WINDOW_SECONDS", 3600)),
      apiPerToken: intFromEnv("CAIRN_RATE_LIMIT_API_PER_TOKEN", 3000),
      apiWindowSeconds: Math.max(1, intFromEnv("CAIRN_RATE_LIMIT_API_WINDOW_SECONDS", 60)),
    },
    /** Outbound webhook deliveries: a receiver gets `timeoutSeconds` to answer; a failure is retried `retryLimit` times, backing off from `retryDelaySeconds`. */
    webhooks: {
      timeoutSeconds: Math.max(0.1, Number(process.env.CAIRN_WEBHOOK_TIMEOUT_SECONDS || 10)),
      retryLimit: intFromEnv("CAIRN_WEBHOOK_RETRY_LIMIT", 5),
      retryDelaySeconds: Math.max(1, intFromEnv("CAIRN_WEBHOOK_RETRY_DELAY_SECONDS", 30)),
    },
    /** Reverse proxies in front of Cairn that append to X-Forwarded-For: the client is that many entries from its end. */
    trustedProxyHops: Math.max(1, intFromEnv("CAIRN_TRUSTED_PROXY_HOPS", 1)),
    /** Hugging Face clients may read public catalog checkpoints without a token (private ones always need one). */
    hfPublicRead: process.env.CAIRN_HF_PUBLIC_READ === "true",
  };
}

export type CairnConfig = ReturnType<typeof config>;

/**
 * Reads a secret from the environment, or from a file in the data directory that is
 * generated on first use, so the embedded mode needs no env vars and survives restarts.
 */
export function persistentSecret(envName: string, fileName: string): string {
  const fromEnv = process.env[envName];
  if (fromEnv) return fromEnv;
  const file = path.join(dataDir(), fileName);
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    mkdirSync(dataDir(), { recursive: true });
    const secret = randomBytes(32).toString("base64url");
    try {
      writeFileSync(file, secret, { flag: "wx", mode: 0o600 });
      return secret;
    } catch {
      return readFileSync(file, "utf8").trim();
    }
  }
}
