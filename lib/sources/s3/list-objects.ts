import "server-only";
import { ListObjectsCommand, ListObjectsV2Command, type S3Client, type _Object } from "@aws-sdk/client-s3";
import { blockedAddressMessage } from "../cloud-errors";
import { PermanentSourceError } from "../types";
import { listVersions, type ListVersion } from "./spec";

/** One object of a listing: its key, its size and the ETag that pins the version later reads get. */
export type ListedObject = { key: string; size: number; etag: string | undefined };

export type ListRequest = {
  client: S3Client;
  bucket: string;
  prefix: string;
  /** Keys per page (S3's own default and maximum is 1000). */
  pageSize?: number;
  version: ListVersion;
  signal?: AbortSignal;
  /** The creation log, told when the listing switches to ListObjects (v1). */
  log(message: string): Promise<void>;
};

/** The `listVersion` source option, checked: unset or empty is "auto". */
export function listVersionOf(options: Record<string, string>): ListVersion {
  const raw = options.listVersion?.trim() || "auto";
  if ((listVersions as readonly string[]).includes(raw)) return raw as ListVersion;
  throw new PermanentSourceError(`The source option listVersion must be ${listVersions.join(", ")} (it is "${raw}"). Choose one, or leave it empty for auto.`, "invalid");
}

const V1_SUGGESTION = 'Set the source option listVersion to "1" to list with ListObjects (v1).';

/**
 * Why a ListObjectsV2 failure means the server cannot do v2 (its refusal, a server error that
 * outlasted the SDK's retries, an answer that could not be read), or null for failures a v1
 * listing would meet too: denied, missing bucket, a dropped connection, the address guard.
 */
function v2Failure(error: unknown, signal: AbortSignal | undefined): string | null {
  if (signal?.aborted || error instanceof PermanentSourceError || blockedAddressMessage(error)) return null;
  const { name, message, $metadata } = (error ?? {}) as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = $metadata?.httpStatusCode ?? 0;
  const answered = name === "InternalError" || name === "NotImplemented" || status >= 500;
  // An error with a 2xx status is an answer the SDK could not parse.
  const unreadable = status >= 200 && status < 300;
  if (!answered && !unreadable) return null;
  const detail = [name && name !== "Error" ? name : null, message?.trim() || (status ? `HTTP ${status}` : null)].filter(Boolean).join(": ");
  return unreadable ? `its answer could not be read: ${detail || "malformed"}` : detail || `HTTP ${status}`;
}

const listed = (contents: _Object[] | undefined): ListedObject[] =>
  (contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [{ key: o.Key, size: o.Size ?? 0, etag: o.ETag }]));

/**
 * Every object under `prefix`, a page at a time, in key order (as S3 lists them). Lists with
 * ListObjectsV2 unless `version` is "1". With "auto", a server that refuses or fails v2 (older
 * S3-compatible stores; s3rver past 1,000 keys), or answers it malformed (truncated without a
 * continuation token), is listed with ListObjects (v1) from the last key already handed on, for
 * the rest of this listing, and the log says so. Throws what the SDK threw otherwise, and a
 * PermanentSourceError for an answer no retry can page through.
 */
export async function* listObjects(req: ListRequest): AsyncGenerator<ListedObject[], void, undefined> {
  const { client, bucket, signal } = req;
  const Prefix = req.prefix || undefined;
  const MaxKeys = req.pageSize;
  const uri = `s3://${bucket}/${req.prefix}`;
  let useV1 = req.version === "1";
  /** The last key handed on: where a v1 listing (re)starts. */
  let after: string | undefined;
  let token: string | undefined;
  const switchToV1 = async (why: string) => {
    useV1 = true;
    await req.log(`Listing with ListObjects (v1): the server failed ListObjectsV2 (${why}).`);
  };

  while (!useV1) {
    let page;
    try {
      page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix, ContinuationToken: token, MaxKeys }), { abortSignal: signal });
    } catch (error) {
      const why = req.version === "auto" ? v2Failure(error, signal) : null;
      if (!why) throw error;
      await switchToV1(why);
      break;
    }
    const objects = listed(page.Contents);
    if (objects.length > 0) {
      after = objects[objects.length - 1]?.key;
      yield objects;
    }
    if (!page.IsTruncated) return;
    const next = page.NextContinuationToken;
    if (next && next !== token) {
      token = next;
      continue;
    }
    const why = next ? "it answered the same continuation token twice" : "it said the listing goes on but gave no continuation token";
    if (req.version !== "auto") throw new PermanentSourceError(`${uri} cannot be listed: ${why} for ListObjectsV2. ${V1_SUGGESTION}`, "invalid");
    await switchToV1(why);
  }

  for (;;) {
    const page = await client.send(new ListObjectsCommand({ Bucket: bucket, Prefix, Marker: after, MaxKeys }), { abortSignal: signal });
    const objects = listed(page.Contents);
    if (objects.length > 0) yield objects;
    if (!page.IsTruncated) return;
    // Without a delimiter S3 may leave NextMarker out: the next page starts after the last key.
    const next = page.NextMarker || objects[objects.length - 1]?.key;
    if (!next || next === after) {
      throw new PermanentSourceError(`${uri} cannot be listed: the store said its ListObjects answer goes on but named no key to continue after. Check the store, or choose a narrower path.`, "invalid");
    }
    after = next;
  }
}
