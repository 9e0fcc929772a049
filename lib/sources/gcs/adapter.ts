import "server-only";
import type http from "node:http";
import path from "node:path";
import type { Readable } from "node:stream";
import { Storage, type File, type StorageOptions } from "@google-cloud/storage";
import { PassThroughClient, type JWTInput } from "google-auth-library";
import { pool as bundledPool } from "teeny-request/build/src/agents";
import { GuardedHttpAgent, GuardedHttpsAgent, guardedAgents } from "@/lib/net/agents";
import { cloudProblems, refuseBlockedEndpoint, toSourceError, treePath, withSourceErrors } from "../cloud-errors";
import { objectReader, type RangedTuning } from "../ranged-stream";
import { PermanentSourceError, type SourceAdapter, type SourceContext, type SourceFile, type SourceListing } from "../types";
import { gcsSpec } from "./spec";

/** Knobs for tests and tuning; the defaults suit production. */
export type GcsSourceOptions = {
  /** Objects per listing page (GCS's default and maximum is 1000). */
  pageSize?: number;
  ranged?: Partial<RangedTuning>;
};

// @google-cloud/storage destroys the pooled agent whenever one download fails, which would cut
// every other transfer sharing it; these guarded agents shrug that off (the failed response's
// own socket is destroyed with its stream anyway).
class SturdyGuardedHttpAgent extends GuardedHttpAgent {
  override destroy(): void {}
}
class SturdyGuardedHttpsAgent extends GuardedHttpsAgent {
  override destroy(): void {}
}
const sturdyAgents = { http: new SturdyGuardedHttpAgent({ maxSockets: 64 }), https: new SturdyGuardedHttpsAgent({ maxSockets: 64 }) };

type AgentPool = Map<string, http.Agent>;

/**
 * The teeny-request pools @google-cloud/storage may be using: the one this module imports, and
 * the one Node itself loads next to the library. They differ when a bundler (Next.js) copies
 * teeny-request into the server bundle while @google-cloud/storage stays a server-external
 * package; the second is reached through a require the bundler cannot see.
 */
function teenyRequestPools(): AgentPool[] {
  const pools = new Set<AgentPool>([bundledPool]);
  try {
    const { createRequire } = process.getBuiltinModule("module");
    const storageEntry = createRequire(path.join(process.cwd(), "noop.js")).resolve("@google-cloud/storage");
    pools.add((createRequire(storageEntry)("teeny-request/build/src/agents") as { pool: AgentPool }).pool);
  } catch {
    // Not resolvable from the working directory: only the imported copy exists to be used.
  }
  return [...pools];
}

/**
 * The library sends API calls and downloads through teeny-request, whose agents come from one
 * module-wide pool and cannot be passed per client; filling that pool with guarded agents is the
 * only way to put every GCS socket (emulator host included) behind the address guard.
 */
function guardTeenyRequest() {
  for (const pool of teenyRequestPools()) {
    for (const key of ["http", "http:forever"]) pool.set(key, sturdyAgents.http);
    for (const key of ["https", "https:forever"]) pool.set(key, sturdyAgents.https);
  }
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() ? value.trim() : undefined;
}

/** Only key types whose token exchange goes to Google's fixed endpoints; "external_account" keys name arbitrary URLs and local files. */
function parseCredentials(name: string, raw: string | undefined): JWTInput {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw ?? "");
  } catch {
    throw new PermanentSourceError(`The connection "${name}" holds no valid service account key JSON. Paste the key file's contents again.`, "invalid");
  }
  const type = (parsed as { type?: unknown } | null)?.type;
  if (type !== "service_account" && type !== "authorized_user") {
    throw new PermanentSourceError(
      `The connection "${name}" holds credentials of type "${String(type)}"; Cairn accepts a service account key (type "service_account") or user credentials (type "authorized_user").`,
      "invalid",
    );
  }
  return parsed as JWTInput;
}

function endpointUrl(raw: string): URL {
  // The same normalisation the library applies to STORAGE_EMULATOR_HOST and apiEndpoint.
  const withScheme = /^https?:\/\//i.test(raw) ? raw : `https://${raw}`;
  try {
    return new URL(withScheme);
  } catch {
    throw new PermanentSourceError(`The storage endpoint ${raw} is not a URL.`, "invalid");
  }
}

/** The GCS client for a connection, its sockets behind the address guard (also used by exports). */
export async function storageFor(ctx: SourceContext): Promise<Storage> {
  const connection = ctx.connection;
  if (connection && connection.provider !== gcsSpec.connection.provider) {
    throw new PermanentSourceError(`The connection "${connection.name}" holds ${connection.provider} credentials; choose a Google Cloud Storage connection.`, "invalid");
  }
  const config = connection?.config ?? {};
  const emulator = str(process.env.STORAGE_EMULATOR_HOST);
  const apiEndpoint = str(config.apiEndpoint);
  guardTeenyRequest();
  const custom = emulator ?? apiEndpoint;
  if (custom) await refuseBlockedEndpoint(endpointUrl(custom));
  const agents = guardedAgents();
  // Token requests and resumable uploads go through gaxios, which takes an agent per client.
  const transporterOptions = { agent: (url: URL) => (url.protocol === "http:" ? agents.http : agents.https) };
  // An emulator wants no credentials; without a connection we read anonymously rather than
  // lend the server's own identity (application default credentials) to a user's path.
  const credentials = connection && !emulator ? parseCredentials(connection.name, connection.secret.credentialsJson) : undefined;
  const options: StorageOptions = {
    apiEndpoint,
    projectId: str(config.projectId) ?? credentials?.project_id,
    retryOptions: { autoRetry: true, maxRetries: 3 },
    ...(credentials
      ? { credentials, clientOptions: { transporterOptions }, useAuthWithCustomEndpoint: true }
      : { authClient: new PassThroughClient({ transporterOptions }) }),
  };
  return new Storage(options);
}

function classify(uri: string, bucket: string) {
  return (error: unknown): PermanentSourceError | null => {
    const { code, message, response } = (error ?? {}) as { code?: unknown; message?: unknown; response?: { data?: { error?: unknown } } };
    const text = typeof message === "string" ? message : "";
    if (code === 404) return /bucket does not exist/i.test(text) ? cloudProblems.containerNotFound("bucket", bucket, uri) : cloudProblems.notFound(uri);
    if (code === 403) return cloudProblems.accessDenied(uri, "the bucket's IAM permissions");
    if (code === 401) return cloudProblems.badCredentials(uri, "Google did not accept them");
    const grant = response?.data?.error;
    if (grant === "invalid_grant" || grant === "invalid_client" || grant === "unauthorized_client") {
      return cloudProblems.badCredentials(uri, `Google's token service answered ${grant}`);
    }
    return null;
  };
}

function parseGsUri(uri: string): { bucket: string; name: string } {
  const match = /^gs:\/\/([^/]+)(?:\/(.*))?$/.exec(uri);
  if (!match || !match[1] || !gcsSpec.path.check(uri)) throw cloudProblems.badPath(uri, gcsSpec.path.rule);
  return { bucket: match[1], name: match[2] ?? "" };
}

/** Reads a GCS object (or part of it); the library only starts the request once the stream is read. */
function readObject(file: File, uri: string, bucket: string, range: { start: number; end: number } | undefined, signal?: AbortSignal): Readable {
  // Whole reads are checked against the stored CRC32C; the library cannot check a range.
  const raw = file.createReadStream(range ? { start: range.start, end: range.end, validation: false } : {});
  return withSourceErrors(raw, classify(uri, bucket), signal);
}

/**
 * A Google Cloud Storage source: `gs://bucket/prefix/` lists every object below the prefix,
 * `gs://bucket/name` names one object. Honours STORAGE_EMULATOR_HOST (then no credentials).
 */
export function createGcsSource(options: GcsSourceOptions = {}): SourceAdapter {
  function objectFile(storage: Storage, bucket: string, path: string, name: string, size: number, generation: string | undefined): SourceFile {
    const uri = `gs://${bucket}/${name}`;
    // Pinning the generation keeps every range (and a retried read) on the version that was listed.
    const file = storage.bucket(bucket).file(name, generation ? { generation } : {});
    return {
      path,
      size,
      ...objectReader({
        size,
        tuning: options.ranged,
        fetchWhole: async (s) => readObject(file, uri, bucket, undefined, s),
        fetchRange: async (start, end, s) => readObject(file, uri, bucket, { start, end }, s),
      }),
    };
  }

  async function listTree(storage: Storage, bucket: string, prefix: string, ctx: SourceContext): Promise<SourceListing> {
    const uri = `gs://${bucket}/${prefix}`;
    const files: SourceFile[] = [];
    let pageToken: string | undefined;
    do {
      ctx.signal.throwIfAborted();
      const [page, next] = await storage.bucket(bucket).getFiles({ prefix: prefix || undefined, autoPaginate: false, maxResults: options.pageSize, pageToken });
      for (const file of page) {
        const path = treePath(file.name, prefix, uri);
        if (path !== null) files.push(objectFile(storage, bucket, path, file.name, Number(file.metadata.size ?? 0), generationOf(file)));
      }
      pageToken = next && "pageToken" in next ? next.pageToken : undefined;
    } while (pageToken);
    if (files.length === 0) throw cloudProblems.nothingFound(uri);
    await ctx.log(`Found ${files.length} object${files.length === 1 ? "" : "s"} under ${uri}.`);
    return { kind: "tree", files };
  }

  async function statSingle(storage: Storage, bucket: string, name: string): Promise<SourceListing> {
    const uri = `gs://${bucket}/${name}`;
    try {
      const [metadata] = await storage.bucket(bucket).file(name).getMetadata();
      const base = name.slice(name.lastIndexOf("/") + 1);
      const generation = metadata.generation === undefined ? undefined : String(metadata.generation);
      return { kind: "single", name: base, file: objectFile(storage, bucket, base, name, Number(metadata.size ?? 0), generation) };
    } catch (error) {
      const mapped = toSourceError(error, classify(uri, bucket));
      if (mapped instanceof PermanentSourceError && mapped.reason === "not_found") {
        // A folder named without its trailing slash is the likeliest slip; say so when it is one.
        const probe = await storage
          .bucket(bucket)
          .getFiles({ prefix: `${name}/`, autoPaginate: false, maxResults: 1 })
          .catch(() => null);
        if (probe?.[0].length) throw new PermanentSourceError(`${mapped.message} To import the folder, end the path with a slash: ${uri}/`, "not_found");
      }
      throw mapped;
    }
  }

  return {
    type: gcsSpec.type,
    async list(ctx) {
      const { bucket, name } = parseGsUri(ctx.uri);
      const storage = await storageFor(ctx);
      try {
        return name === "" || name.endsWith("/") ? await listTree(storage, bucket, name, ctx) : await statSingle(storage, bucket, name);
      } catch (error) {
        throw toSourceError(error, classify(ctx.uri, bucket));
      }
    },
  };
}

function generationOf(file: File): string | undefined {
  const generation = file.metadata.generation;
  return generation === undefined ? undefined : String(generation);
}

/** Google Cloud Storage with the production defaults. */
export const gcsSource = createGcsSource();
