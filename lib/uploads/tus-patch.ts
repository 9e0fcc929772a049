import { ERRORS, EXPOSED_HEADERS, TUS_RESUMABLE, type Locker, type Upload } from "@tus/server";
import { requestChunks } from "./body-chunks";
import type { HashingFileStore } from "./hashing-file-store";

/** tus's error shape: what its handlers throw and its server turns into an answer. */
type TusError = { status_code: number; body: string };

const isTusError = (error: unknown): error is TusError =>
  typeof (error as TusError | null)?.status_code === "number" && typeof (error as TusError).body === "string";

/** How long a PATCH holding the lock may keep writing after another request asked for it (tus's `lockDrainTimeout`). */
export const LOCK_DRAIN_MS = 3000;

export type PatchOptions = {
  store: HashingFileStore;
  /** The locker tus's own handlers use for HEAD, POST and DELETE: one lock per upload across all four. */
  locker: Locker;
  /** The largest total size the upload may reach (tus's `maxSize` option). */
  maxSize(request: Request, uploadId: string): Promise<number>;
  /** Called once the last byte is written, before the answer (tus's `onUploadFinish`). */
  onUploadFinish(request: Request, upload: Upload): Promise<unknown>;
};

/** tus 1.0's rules for the PATCH headers tus would check (its HeaderValidator, for the headers a PATCH carries). */
function invalidHeaders(headers: Headers): string[] {
  const nonNegativeInteger = (value: string) => {
    const n = Number(value);
    return Number.isInteger(n) && String(n) === value && n >= 0;
  };
  const rules: Record<string, (value: string) => boolean> = {
    "upload-offset": nonNegativeInteger,
    "upload-length": nonNegativeInteger,
    "upload-defer-length": (value) => value === "1",
    "tus-resumable": (value) => value === TUS_RESUMABLE,
    "content-type": (value) => value === "application/offset+octet-stream",
    "x-forwarded-proto": (value) => value === "http" || value === "https",
  };
  const invalid: string[] = [];
  headers.forEach((value, name) => {
    const rule = rules[name];
    if (rule && !rule(value)) invalid.push(name);
  });
  return invalid;
}

/**
 * A PATCH of the tus 1.0 protocol, answered by Cairn rather than `@tus/server` (which keeps POST,
 * HEAD, DELETE and OPTIONS): the body's chunks go straight from the request's web stream to the
 * store, where tus reads them through `Readable.fromWeb`, a PassThrough and a size limiter — three
 * 16 KiB buffers, each pausing and resuming the next for every 64 KiB chunk. Everything else is
 * tus's PatchHandler, step for step (and pinned by tests/integration/tus-protocol.test.ts): the
 * headers it validates, the offset check against the store, the lock shared with tus's handlers
 * (a request that wants it makes this one stop writing `LOCK_DRAIN_MS` later), deferred lengths,
 * the size limits, `onUploadFinish`, and its answers. A client that goes away leaves every byte
 * it sent on disk for the upload to resume from.
 */
export async function handleTusPatch(request: Request, uploadId: string | null, opts: PatchOptions): Promise<Response> {
  const headers = new Headers({
    "Tus-Resumable": TUS_RESUMABLE,
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": EXPOSED_HEADERS,
  });
  const abort = new AbortController();
  let drainTimer: NodeJS.Timeout | undefined;
  const answer = (status: number, body: string | null = null) => {
    if (body !== null) headers.set("Content-Length", String(Buffer.byteLength(body, "utf8")));
    // An aborted request's connection is done: the client must not send its next request on it.
    if (abort.signal.aborted) headers.set("Connection", "close");
    return new Response(body, { status, headers });
  };
  try {
    if (!request.headers.get("tus-resumable")) return answer(412, "Tus-Resumable Required\n");
    const invalid = invalidHeaders(request.headers);
    if (invalid.length > 0) return answer(400, `Invalid ${invalid.join(" ")}\n`);
    if (!uploadId) throw ERRORS.FILE_NOT_FOUND;
    return await patch(request, uploadId, opts, {
      signal: abort.signal,
      // Another request wants this upload's lock: stop writing soon, keeping what arrived.
      release: () => {
        drainTimer ??= setTimeout(() => abort.abort(), LOCK_DRAIN_MS);
      },
      answer,
      headers,
    });
  } catch (error) {
    if (!abort.signal.aborted) abort.abort();
    if (isTusError(error)) return answer(error.status_code, error.body);
    throw error;
  } finally {
    clearTimeout(drainTimer);
  }
}

type PatchContext = {
  signal: AbortSignal;
  release(): void;
  answer(status: number, body?: string | null): Response;
  headers: Headers;
};

async function patch(request: Request, id: string, opts: PatchOptions, ctx: PatchContext): Promise<Response> {
  const { store } = opts;
  const offsetHeader = request.headers.get("upload-offset");
  if (offsetHeader === null) throw ERRORS.MISSING_OFFSET;
  const offset = Number.parseInt(offsetHeader, 10);
  if (request.headers.get("content-type") === null) throw ERRORS.INVALID_CONTENT_TYPE;
  const maxFileSize = await opts.maxSize(request, id);

  const lock = opts.locker.newLock(id);
  await lock.lock(ctx.signal, async () => ctx.release());
  let upload: Upload;
  let newOffset: number;
  try {
    upload = await store.getUpload(id);
    if (expired(store, upload)) throw ERRORS.FILE_NO_LONGER_EXISTS;
    // A wrong offset must leave the upload untouched.
    if (upload.offset !== offset) throw ERRORS.INVALID_OFFSET;
    const lengthHeader = request.headers.get("upload-length");
    if (lengthHeader !== null) {
      const size = Number.parseInt(lengthHeader, 10);
      if (upload.size !== undefined || size < upload.offset) throw ERRORS.INVALID_LENGTH;
      if (maxFileSize > 0 && size > maxFileSize) throw ERRORS.ERR_MAX_SIZE_EXCEEDED;
      await store.declareUploadLength(id, size);
      upload.size = size;
    }
    const maxBodySize = maxBodyBytes(request, upload, maxFileSize);
    newOffset = await writeBody(request, upload, maxBodySize, store, ctx.signal);
  } finally {
    await lock.unlock();
  }
  upload.offset = newOffset;
  ctx.headers.set("Upload-Offset", String(newOffset));
  if (newOffset === upload.size) {
    await opts.onUploadFinish(request, upload);
  } else if (store.getExpiration() > 0 && upload.creation_date) {
    ctx.headers.set("Upload-Expires", new Date(new Date(upload.creation_date).getTime() + store.getExpiration()).toUTCString());
  }
  return ctx.answer(204);
}

function expired(store: HashingFileStore, upload: Upload): boolean {
  if (store.getExpiration() <= 0) return false;
  const created = upload.creation_date ? new Date(upload.creation_date).getTime() : Date.now();
  return Date.now() > created + store.getExpiration();
}

/** What this PATCH's body may hold (tus's calculateMaxBodySize): refuses a Content-Length that cannot fit. */
function maxBodyBytes(request: Request, upload: Upload, maxFileSize: number): number {
  const lengthHeader = request.headers.get("content-length");
  const length = Number.parseInt(lengthHeader || "0", 10);
  if (upload.sizeIsDeferred) {
    if (lengthHeader !== null && maxFileSize > 0 && upload.offset + length > maxFileSize) throw ERRORS.ERR_SIZE_EXCEEDED;
    return maxFileSize > 0 ? maxFileSize - upload.offset : Number.MAX_SAFE_INTEGER;
  }
  if (upload.offset + length > (upload.size ?? 0)) throw ERRORS.ERR_SIZE_EXCEEDED;
  return lengthHeader !== null ? length : (upload.size ?? 0) - upload.offset;
}

/**
 * Writes the body at the upload's offset and resolves with the new offset. More than `maxBodySize`
 * bytes fails with tus's 413; an aborted `signal` (the lock was asked for) or a client that went
 * away ends the body where it is, and what arrived is on disk either way.
 */
async function writeBody(
  request: Request,
  upload: Upload,
  maxBodySize: number,
  store: HashingFileStore,
  signal: AbortSignal,
): Promise<number> {
  if (signal.aborted) throw ERRORS.ABORTED;
  const body = requestChunks(request, signal);
  if (!body) return upload.offset;
  let received = 0;
  let failure: "too-large" | "client-gone" | null = null;
  async function* limited(chunks: AsyncIterable<Uint8Array>) {
    try {
      for await (const chunk of chunks) {
        received += chunk.byteLength;
        if (received > maxBodySize) {
          failure = "too-large";
          break;
        }
        yield chunk;
      }
    } catch (error) {
      failure = "client-gone";
      throw error;
    }
    if (failure) throw ERRORS.ERR_MAX_SIZE_EXCEEDED;
  }
  try {
    return await store.write(limited(body), upload.id, upload.offset);
  } catch (error) {
    if (failure === "too-large") throw ERRORS.ERR_MAX_SIZE_EXCEEDED;
    throw failure === "client-gone" || signal.aborted ? ERRORS.ABORTED : error;
  }
}
