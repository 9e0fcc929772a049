import "server-only";
import { Readable } from "node:stream";
import { GetObjectCommand, HeadObjectCommand, ListBucketsCommand, S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { guardedAgents } from "@/lib/net/agents";
import { cloudProblems, toSourceError, treePath } from "../cloud-errors";
import { objectReader, type RangedTuning } from "../ranged-stream";
import type { ReadRetry } from "../resumable-read";
import { sourceSpec } from "../specs";
import { PermanentSourceError, type ProbeResult, type SourceAdapter, type SourceConnection, type SourceContext, type SourceFile, type SourceListing } from "../types";
import { listObjects, listVersionOf } from "./list-objects";
import { s3Spec, type ListVersion } from "./spec";

/** Knobs for tests and tuning; the defaults suit production. */
export type S3SourceOptions = {
  /** Keys per listing page (S3's own default and maximum is 1000). */
  pageSize?: number;
  ranged?: Partial<RangedTuning>;
  /** The endpoint when neither the source options nor the connection name one (Wasabi's, per region); AWS when undefined. */
  defaultEndpoint?: (region: string | undefined) => string | undefined;
};

type S3Type = "s3" | "wasabi";

/**
 * In a tree, several objects already download side by side (the ingest's file parallelism), so
 * only objects this large are split into ranges too — the cut-off rclone uses for multi-thread
 * downloads. Ranging every shard multiplies the requests and the buffered ranges (memory) by the
 * number of files in flight, and gains nothing once the link is busy.
 */
const TREE_RANGED_THRESHOLD = 256 * 1024 ** 2;

/** Where an S3 path points and how to reach it, resolved from the path, the source options and the connection. */
type Target = { client: S3Client; bucket: string; key: string; listVersion: ListVersion };

/** The creation log's line for a read of `uri` tried again (the ingest goes on with the other objects). */
function retryLine(uri: string, { error, attempt, attempts, from, delayMs }: ReadRetry): string {
  const why = error instanceof Error ? error.message : String(error);
  return `Reading ${uri} failed (${why}); trying again in ${(delayMs / 1000).toFixed(1)} s from byte ${from} (attempt ${attempt} of ${attempts}).`;
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() ? value.trim() : undefined;
}

function parseEndpoint(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new PermanentSourceError(`The endpoint ${raw} is not a URL. Give one like https://s3.example.com.`, "invalid");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new PermanentSourceError(`The endpoint ${raw} must begin with http:// or https://.`, "invalid");
  return url.toString().replace(/\/$/, "");
}

// Without a connection the request goes out unsigned: the SDK's default credential chain would
// otherwise lend the server's own identity (environment, profile, instance metadata) to any user.
const anonymous: Pick<S3ClientConfig, "httpAuthSchemes"> = {
  httpAuthSchemes: ["aws.auth#sigv4", "aws.auth#sigv4a"].map((schemeId) => ({
    schemeId,
    identityProvider: () => async () => ({}),
    signer: { sign: async (request) => request },
  })),
};

/** The S3 client for a connection, its sockets behind the address guard (also used by exports). */
export function clientFor(ctx: SourceContext, defaultEndpoint?: S3SourceOptions["defaultEndpoint"]): S3Client {
  const connection = ctx.connection;
  if (connection && connection.provider !== s3Spec.connection.provider) {
    throw new PermanentSourceError(`The connection "${connection.name}" holds ${connection.provider} credentials; choose an S3 connection.`, "invalid");
  }
  const config = connection?.config ?? {};
  const region = str(config.region);
  const rawEndpoint = str(ctx.options.endpoint) ?? str(config.endpoint) ?? defaultEndpoint?.(region);
  const endpoint = rawEndpoint ? parseEndpoint(rawEndpoint) : undefined;
  const secret = connection?.secret;
  if (secret && (!secret.accessKeyId || !secret.secretAccessKey)) {
    throw new PermanentSourceError(`The connection "${connection.name}" lacks an access key id or secret access key. Edit the connection.`, "invalid");
  }
  const agents = guardedAgents();
  // Never destroy() these clients: the handler's destroy would tear down the process-wide agents.
  return new S3Client({
    region: region ?? "us-east-1",
    endpoint,
    // S3-compatible stores rarely serve virtual-hosted buckets on custom hosts.
    forcePathStyle: typeof config.forcePathStyle === "boolean" ? config.forcePathStyle : Boolean(endpoint),
    followRegionRedirects: true,
    retryMode: "standard",
    maxAttempts: 5,
    // Every socket goes through the address guard, custom endpoints included.
    requestHandler: new NodeHttpHandler({ httpAgent: agents.http, httpsAgent: agents.https, connectionTimeout: 15_000, requestTimeout: 120_000 }),
    ...(secret
      ? { credentials: { accessKeyId: secret.accessKeyId, secretAccessKey: secret.secretAccessKey, sessionToken: secret.sessionToken || undefined } }
      : anonymous),
    // Many S3-compatible servers reject the checksum headers this SDK sends by default (aws/aws-sdk-js-v3#6810).
    ...(endpoint && { requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED" }),
  });
}

/** Maps S3's error names (and bare HTTP statuses, for HEAD and compatible stores) to user-fixable failures. */
function classify(uri: string, bucket: string) {
  return (error: unknown): PermanentSourceError | null => {
    const { name, $metadata } = (error ?? {}) as { name?: string; $metadata?: { httpStatusCode?: number } };
    const status = $metadata?.httpStatusCode;
    switch (name) {
      case "NoSuchKey":
      case "NotFound":
        return cloudProblems.notFound(uri);
      case "NoSuchBucket":
        return cloudProblems.containerNotFound("bucket", bucket, uri);
      case "AccessDenied":
      case "Forbidden":
      case "AllAccessDisabled":
        return cloudProblems.accessDenied(uri, "the bucket policy");
      case "InvalidAccessKeyId":
        return cloudProblems.badCredentials(uri, "the access key id is not known to the store");
      case "SignatureDoesNotMatch":
        return cloudProblems.badCredentials(uri, "the secret access key does not match the access key id");
      case "ExpiredToken":
      case "InvalidToken":
      case "TokenRefreshRequired":
        return cloudProblems.badCredentials(uri, "the session token is invalid or expired");
      case "PermanentRedirect":
      case "AuthorizationHeaderMalformed":
        return new PermanentSourceError(`The bucket of ${uri} lives in another region. Set the region in the connection.`, "invalid");
      case "InvalidObjectState":
        return new PermanentSourceError(`${uri} is archived (e.g. Glacier) and cannot be read. Restore it first.`, "denied");
      case "InvalidBucketName":
        return cloudProblems.badPath(uri, s3Spec.path.rule);
    }
    if (status === 404) return cloudProblems.notFound(uri);
    if (status === 403) return cloudProblems.accessDenied(uri, "the bucket policy");
    if (status === 401) return cloudProblems.badCredentials(uri, "the store asked for authentication");
    return null;
  };
}

function parseS3Uri(type: S3Type, uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(uri);
  const rule = sourceSpec(type)?.path ?? s3Spec.path;
  if (!match || !match[1] || !rule.check(uri)) throw cloudProblems.badPath(uri, rule.rule);
  return { bucket: match[1], key: match[2] ?? "" };
}

/**
 * An S3 (or Wasabi) source: `s3://bucket/prefix/` lists every object below the prefix,
 * `s3://bucket/key` names one object. Works with any S3-compatible endpoint.
 */
export function createS3Source(type: S3Type, options: S3SourceOptions = {}): SourceAdapter {
  function objectFile(target: Target, ctx: SourceContext, path: string, key: string, size: number, etag: string | undefined, inTree = false): SourceFile {
    const { client, bucket } = target;
    const uri = `s3://${bucket}/${key}`;
    const get = async (range: string | undefined, signal: AbortSignal | undefined): Promise<Readable> => {
      try {
        // If-Match keeps every range (and a retried read) on the version that was listed.
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range, IfMatch: etag }), { abortSignal: signal });
        if (!(out.Body instanceof Readable)) throw new Error(`The store sent no body for ${uri}.`);
        return out.Body;
      } catch (error) {
        throw toSourceError(error, classify(uri, bucket));
      }
    };
    return {
      path,
      size,
      ...objectReader({
        size,
        tuning: inTree ? { threshold: TREE_RANGED_THRESHOLD, ...options.ranged } : options.ranged,
        fetchWhole: (s) => get(undefined, s),
        fetchRange: (start, end, s) => get(`bytes=${start}-${end}`, s),
        onRetry: (retry) => void ctx.log(retryLine(uri, retry)).catch(() => {}),
      }),
    };
  }

  async function listTree(target: Target, ctx: SourceContext): Promise<SourceListing> {
    const { client, bucket, key: prefix } = target;
    const uri = `s3://${bucket}/${prefix}`;
    const files: SourceFile[] = [];
    if (target.listVersion === "1") await ctx.log("Listing with ListObjects (v1), as the source options ask.");
    const pages = listObjects({ client, bucket, prefix, pageSize: options.pageSize, version: target.listVersion, signal: ctx.signal, log: (m) => ctx.log(m) });
    for await (const page of pages) {
      for (const object of page) {
        const path = treePath(object.key, prefix, uri);
        if (path !== null) files.push(objectFile(target, ctx, path, object.key, object.size, object.etag, true));
      }
    }
    if (files.length === 0) throw cloudProblems.nothingFound(uri);
    await ctx.log(`Found ${files.length} object${files.length === 1 ? "" : "s"} under ${uri}.`);
    return { kind: "tree", files };
  }

  async function statSingle(target: Target, ctx: SourceContext): Promise<SourceListing> {
    const { client, bucket, key } = target;
    const uri = `s3://${bucket}/${key}`;
    try {
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: ctx.signal });
      const name = key.slice(key.lastIndexOf("/") + 1);
      return { kind: "single", name, file: objectFile(target, ctx, name, key, head.ContentLength ?? 0, head.ETag) };
    } catch (error) {
      const mapped = toSourceError(error, classify(uri, bucket));
      if (mapped instanceof PermanentSourceError && mapped.reason === "not_found") {
        // A folder named without its trailing slash is the likeliest slip; say so when it is one.
        if (await holdsObjects(target, `${key}/`, ctx)) throw new PermanentSourceError(`${mapped.message} To import the folder, end the path with a slash: ${uri}/`, "not_found");
      }
      throw mapped;
    }
  }

  /** Whether anything lies under `prefix` (false when it cannot be told); a hint only, so it logs nothing. */
  async function holdsObjects(target: Target, prefix: string, ctx: SourceContext): Promise<boolean> {
    try {
      const pages = listObjects({ client: target.client, bucket: target.bucket, prefix, pageSize: 1, version: target.listVersion, signal: ctx.signal, log: async () => {} });
      for await (const page of pages) return page.length > 0;
    } catch {
      // Only a hint depends on it.
    }
    return false;
  }

  return {
    type,
    async list(ctx) {
      const { bucket, key } = parseS3Uri(type, ctx.uri);
      const target: Target = { client: clientFor(ctx, options.defaultEndpoint), bucket, key, listVersion: listVersionOf(ctx.options) };
      try {
        return key === "" || key.endsWith("/") ? await listTree(target, ctx) : await statSingle(target, ctx);
      } catch (error) {
        throw toSourceError(error, classify(ctx.uri, bucket));
      }
    },
  };
}

/** ListBuckets with the connection's keys: valid keys that may not list buckets still pass (access is per path). */
async function probeS3(connection: SourceConnection): Promise<ProbeResult> {
  const config = connection.config as { endpoint?: string; region?: string; forcePathStyle?: boolean };
  // Never destroy() this client: the handler's destroy would tear down the process-wide agents.
  const client = new S3Client({
    endpoint: config.endpoint,
    region: config.region || "us-east-1",
    forcePathStyle: config.forcePathStyle ?? Boolean(config.endpoint),
    credentials: {
      accessKeyId: connection.secret.accessKeyId ?? "",
      secretAccessKey: connection.secret.secretAccessKey ?? "",
      sessionToken: connection.secret.sessionToken,
    },
    maxAttempts: 2,
    requestHandler: new NodeHttpHandler({ httpAgent: guardedAgents().http, httpsAgent: guardedAgents().https, connectionTimeout: 5000 }),
  });
  try {
    const listed = await client.send(new ListBucketsCommand({}));
    return { ok: true, message: `Connected: the credentials see ${listed.Buckets?.length ?? 0} bucket(s).` };
  } catch (error) {
    const name = (error as { name?: string }).name ?? "";
    if (name === "AccessDenied") {
      return { ok: true, message: "Connected: the credentials are valid but may not list buckets; access is checked per path." };
    }
    return { ok: false, message: `Could not connect: ${(error as Error).message}` };
  }
}

/** Amazon S3 and S3-compatible stores (R2, MinIO, Ceph), endpoint from the source options or the connection. */
export const s3Source: SourceAdapter = { ...createS3Source("s3"), probe: probeS3 };
