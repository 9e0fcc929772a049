import type { FileHandle } from "node:fs/promises";
import { finished, Readable } from "node:stream";

const MiB = 1024 ** 2;

/** How a stream is written to disk: bytes per write, and how often written bytes are flushed. */
export type BatchTuning = {
  /** Bytes gathered before one `writev`; at most two batches are held (one being written). */
  batchBytes: number;
  /** After this many bytes written since the last flush, `fdatasync` in the background. */
  flushEveryBytes: number;
};

export const DEFAULT_BATCH: BatchTuning = { batchBytes: 8 * MiB, flushEveryBytes: 64 * MiB };

/**
 * Writes every chunk of `source` to `handle` from `position` on, in large batches, and resolves
 * with the number of bytes written. `onChunk` sees each chunk first, in order (hash, count, limit:
 * throwing stops the write). Network streams arrive in ~64 KiB chunks; one write per chunk makes
 * every chunk a round trip through libuv's thread pool, and on a busy machine those hand-offs —
 * not the copying — set the pace. Here one batch is written while the next one fills, so the
 * socket keeps flowing, and memory stays bounded at two batches.
 *
 * Written bytes are also flushed to the disk with `fdatasync` as the write goes on, one flush at
 * a time, so the caller's final fsync (before the rename that names the blob) finds little left
 * to do. When `source` ends or fails, what was received is written before this settles (a tus
 * upload resumes from the file's length, so received bytes must not be dropped on an error).
 */
export async function writeBatched(
  source: Readable | AsyncIterable<Uint8Array>,
  handle: FileHandle,
  opts: { position?: number; onChunk?: (chunk: Buffer) => void; tuning?: Partial<BatchTuning> } = {},
): Promise<number> {
  const { batchBytes, flushEveryBytes } = { ...DEFAULT_BATCH, ...opts.tuning };
  let position = opts.position ?? 0;
  let written = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let writing: Promise<void> | null = null;
  let flushing: Promise<void> | null = null;
  let unflushed = 0;

  const flushInBackground = () => {
    if (flushing || unflushed < flushEveryBytes) return;
    unflushed = 0;
    // A failed background flush is not fatal: the caller's final fsync reports a real problem.
    flushing = handle.datasync().then(
      () => {
        flushing = null;
      },
      () => {
        flushing = null;
      },
    );
  };

  /** Starts writing what is pending; a promise only when a write is already in flight (wait for it). */
  const startWrite = (): Promise<void> | undefined => {
    if (writing) return writing.then(() => startWrite());
    if (pendingBytes === 0) return undefined;
    const buffers = pending;
    const bytes = pendingBytes;
    const at = position;
    pending = [];
    pendingBytes = 0;
    position += bytes;
    const current: Promise<void> = writeAll(handle, buffers, bytes, at).then(() => {
      if (writing === current) writing = null;
      written += bytes;
      unflushed += bytes;
      flushInBackground();
    });
    writing = current;
    // Awaited before the next batch starts or at the end; never an unhandled rejection meanwhile.
    current.catch(() => {});
    return undefined;
  };

  let failure: unknown = null;
  try {
    await eachChunk(source, (chunk) => {
      if (chunk.length === 0) return undefined;
      opts.onChunk?.(chunk);
      pending.push(chunk);
      pendingBytes += chunk.length;
      return pendingBytes >= batchBytes ? startWrite() : undefined;
    });
  } catch (error) {
    failure = error;
  }
  await startWrite();
  await writing;
  await flushing;
  if (failure !== null) throw failure;
  return written;
}

function asBuffer(raw: Uint8Array): Buffer {
  return Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
}

/**
 * Calls `onChunk` with every chunk of `source`, waiting whenever it answers a promise. A Node
 * Readable is read through 'data' events: its async iterator reads everything buffered into one
 * concatenated Buffer, a copy of every byte. On failure the source is destroyed.
 */
function eachChunk(source: Readable | AsyncIterable<Uint8Array>, onChunk: (chunk: Buffer) => Promise<void> | undefined): Promise<void> {
  if (!(source instanceof Readable)) {
    return (async () => {
      for await (const raw of source) await onChunk(asBuffer(raw));
    })();
  }
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let waiting: Promise<void> | undefined;
    const settle = (error?: unknown) => {
      if (settled) return;
      settled = true;
      source.off("data", onData);
      stopWatching();
      if (error === undefined) return resolve();
      source.destroy();
      reject(error);
    };
    const onData = (raw: Uint8Array) => {
      if (settled) return;
      let next: Promise<void> | undefined;
      try {
        next = onChunk(asBuffer(raw));
      } catch (error) {
        return settle(error);
      }
      if (!next) return;
      source.pause();
      waiting = next.then(
        () => {
          waiting = undefined;
          if (!settled) source.resume();
        },
        (error: unknown) => settle(error),
      );
    };
    const stopWatching = finished(source, { writable: false }, (error) => {
      if (error) settle(error);
      else void Promise.resolve(waiting).then(() => settle());
    });
    source.on("data", onData);
  });
}

/** `writev` of the buffers at `position`, continuing after a short write. */
async function writeAll(handle: FileHandle, buffers: Buffer[], bytes: number, position: number): Promise<void> {
  let done = 0;
  let rest = buffers;
  // IOV_MAX is 1024 on Linux; batches of 64 KiB chunks stay far below it, tiny chunks may not.
  if (rest.length > 1024) rest = [Buffer.concat(rest, bytes)];
  while (done < bytes) {
    const { bytesWritten } = await handle.writev(rest, position + done);
    if (bytesWritten === 0) throw new Error("The disk accepted no bytes (is it full?).");
    done += bytesWritten;
    if (done < bytes) rest = [Buffer.concat(rest, bytes - (done - bytesWritten)).subarray(bytesWritten)];
  }
}
