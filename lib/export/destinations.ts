import { pipeline } from "node:stream/promises";
import type { Readable } from "node:stream";
import { HeadBucketCommand } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { ApiError } from "@/lib/api/errors";
import { exportProviders, splitDestination } from "@/lib/api/schemas/exports";
import { parseAzureUri, containerFor, parseConnectionString } from "@/lib/sources/azure/adapter";
import { blockedAddressMessage, refuseBlockedEndpoint } from "@/lib/sources/cloud-errors";
import { storageFor } from "@/lib/sources/gcs/adapter";
import { clientFor } from "@/lib/sources/s3/adapter";
import { PermanentSourceError, type SourceConnection, type SourceContext } from "@/lib/sources/types";

/** Where an export writes: one object per file, under the destination's prefix. */
export type Destination = {
  /** How the destination reads in messages: `s3://bucket/prefix/`. */
  readonly label: string;
  /** Fails with an actionable PermanentSourceError when the bucket cannot be reached or written. */
  check(): Promise<void>;
  write(relativePath: string, body: Readable, size: number): Promise<void>;
};

const PART_SIZE = 16 * 1024 * 1024;
const PARTS_IN_FLIGHT = 4;
// S3 and GCS allow at most 10,000 parts; big files get bigger parts.
const partSizeFor = (size: number) => Math.max(PART_SIZE, Math.ceil(size / 9_000 / (1024 * 1024)) * 1024 * 1024);

/** Checks the connection can serve as an export target before anything is queued (422 otherwise). */
export function assertExportProvider(connection: { name: string; provider: string }): void {
  if ((exportProviders as readonly string[]).includes(connection.provider)) return;
  throw new ApiError(
    "validation_failed",
    `The connection '${connection.name}' is a ${connection.provider} connection; export needs an S3, Google Cloud Storage or Azure connection.`,
    { fields: { connection: "not a storage bucket connection" } },
  );
}

function context(connection: SourceConnection, uri: string): SourceContext {
  return { uri, options: {}, connection, scratchDir: "", signal: new AbortController().signal, log: async () => {} };
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() ? value.trim() : undefined;
}

const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EPIPE"]);

/** A socket-level failure code anywhere in an SDK error's cause chain. */
function networkCode(error: unknown, depth = 0): string | null {
  if (!error || typeof error !== "object" || depth > 5) return null;
  const { code, cause } = error as { code?: unknown; cause?: unknown };
  if (typeof code === "string" && NETWORK_CODES.has(code)) return code;
  return networkCode(cause, depth + 1);
}

/** The guard's refusal, or a status the person can act on, from any SDK error. */
export function describeWriteError(error: unknown, label: string): string {
  const blocked = blockedAddressMessage(error);
  if (blocked) return blocked;
  if (error instanceof PermanentSourceError) return error.message;
  const { name, message, $metadata, statusCode, code } = (error ?? {}) as {
    name?: string;
    message?: string;
    $metadata?: { httpStatusCode?: number };
    statusCode?: number;
    code?: number | string;
  };
  const status = $metadata?.httpStatusCode ?? statusCode ?? (typeof code === "number" ? code : undefined);
  if (status === 404 || name === "NoSuchBucket" || code === "ContainerNotFound")
    return `The bucket or container of ${label} does not exist. Create it, or correct the destination path.`;
  if (status === 401 || status === 403)
    return `Writing to ${label} was denied. Check that the connection's credentials may write to that bucket.`;
  const network = networkCode(error);
  if (network) return `Could not reach the storage service for ${label} (${network}). Check the connection's endpoint, then export again.`;
  return `Writing to ${label} failed: ${message ?? String(error)}`;
}

async function s3Destination(connection: SourceConnection, bucket: string, prefix: string): Promise<Destination> {
  const endpoint = str(connection.config.endpoint);
  if (endpoint) await refuseBlockedEndpoint(new URL(endpoint));
  const client = clientFor(context(connection, `s3://${bucket}/${prefix}`));
  return {
    label: `s3://${bucket}/${prefix}`,
    async check() {
      await client.send(new HeadBucketCommand({ Bucket: bucket }));
    },
    async write(relativePath, body, size) {
      const upload = new Upload({
        client,
        params: { Bucket: bucket, Key: `${prefix}${relativePath}`, Body: body, ContentLength: size, ContentType: "application/octet-stream" },
        partSize: partSizeFor(size),
        queueSize: PARTS_IN_FLIGHT,
        leavePartsOnError: false,
      });
      await upload.done();
    },
  };
}

async function gcsDestination(connection: SourceConnection, bucketName: string, prefix: string): Promise<Destination> {
  const storage = await storageFor(context(connection, `gs://${bucketName}/${prefix}`));
  const bucket = storage.bucket(bucketName);
  return {
    label: `gs://${bucketName}/${prefix}`,
    async check() {
      const [exists] = await bucket.exists();
      if (!exists) throw new PermanentSourceError(`The bucket "${bucketName}" does not exist. Create it, or correct the destination path.`);
    },
    async write(relativePath, body, size) {
      const target = bucket.file(`${prefix}${relativePath}`);
      // Resumable sessions survive a dropped connection mid-file; small files go in one request.
      const sink = target.createWriteStream({ resumable: size > PART_SIZE, contentType: "application/octet-stream", chunkSize: PART_SIZE });
      await pipeline(body, sink);
    },
  };
}

async function azureDestination(connection: SourceConnection, container: string, prefix: string): Promise<Destination> {
  const fields = parseConnectionString(connection.secret.connectionString);
  const account = str(connection.config.accountName) ?? fields.AccountName;
  const endpoint = (str(connection.config.endpoint) ?? fields.BlobEndpoint ?? (account ? `https://${account}.blob.core.windows.net` : undefined))?.replace(/\/+$/, "");
  if (!endpoint) {
    throw new PermanentSourceError(`The connection "${connection.name}" names no storage account. Add the account name or a connection string to it.`);
  }
  await refuseBlockedEndpoint(new URL(endpoint));
  const uri = `${endpoint}/${container}/${prefix}`;
  const { container: client } = containerFor(parseAzureUri(uri, endpoint), context(connection, uri));
  return {
    label: uri,
    async check() {
      if (!(await client.exists())) throw new PermanentSourceError(`The container "${container}" does not exist. Create it, or correct the destination path.`);
    },
    async write(relativePath, body) {
      await client.getBlockBlobClient(`${prefix}${relativePath}`).uploadStream(body, PART_SIZE, PARTS_IN_FLIGHT, {
        blobHTTPHeaders: { blobContentType: "application/octet-stream" },
      });
    },
  };
}

/** The writer for a destination path of a connection (`bucket/prefix/`, or `container/prefix/` for Azure). */
export async function openDestination(connection: SourceConnection, destinationPath: string): Promise<Destination> {
  const { bucket, prefix } = splitDestination(destinationPath);
  if (connection.provider === "s3") return s3Destination(connection, bucket, prefix);
  if (connection.provider === "gcs") return gcsDestination(connection, bucket, prefix);
  if (connection.provider === "azure") return azureDestination(connection, bucket, prefix);
  throw new PermanentSourceError(`The connection "${connection.name}" is a ${connection.provider} connection; export needs S3, GCS or Azure.`);
}
