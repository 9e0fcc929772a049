import type { FileHandle } from "node:fs/promises";
import { finished, Readable } from "node:stream";

const MiB = 1024 ** 2;

/** How a stream is written to disk. */
export type BatchTuning = {
  /** Bytes gathered before one write; at most two batches are held (one being written). */
  batchBytes: number;
};

export const DEFAULT_BATCH: BatchTuning = { batchBytes: 8 * MiB };

/**
 * Batch buffers left over by finished writes, reused by the next ones: a fresh 8 MiB buffer per
 * batch would be garbage the collector has to find, as would the network's own chunks if they
 * were held until written (they would outlive the young generation and cost full collections).
 */
const pool: Buffer[] = [];
const POOL_LIMIT = 4;

function takeBuffer(size: number): Buffer {
  const reused = pool.length > 0 && pool[pool.length - 1].length === size ? pool.pop() : undefined;
  return reused ?? Buffer.allocUnsafeSlow(size);
}

function giveBack(buffer: Buffer, size: number): void {
  if (buffer.length === size && pool.length < POOL_LIMIT) pool.push(buffer);
}

/**
 * Writes every chunk of `source` to `handle` from `position` on, in large batches, and resolves
 * with the number of bytes written. `onChunk` sees each chunk first, in order (hash, count, limit:
 * throwing stops the write). Network streams arrive in ~64 KiB chunks; a write stream with a
 * small buffer makes each of them a round trip through libuv's thread pool and pauses the socket
 * while it is out. Here chunks are copied into one batch buffer while the previous batch is
 * written, so the socket keeps flowing, each chunk is garbage at once, and memory stays bounded
 * at two batches per write (buffers are pooled across writes).
 *
 * When `source` ends or fails, what was received is written before this settles (a tus upload
 * resumes from the file's length, so received bytes must not be dropped on an error). Flushing
 * to the disk is the caller's: one fsync before the rename that names the blob. (A background
 * `fdatasync` every 64 MiB was tried: no faster end to end, and more work in this process.)
 */
export async function writeBatched(
  source: Readable | AsyncIterable<Uint8Array>,
  handle: FileHandle,
  opts: { position?: number; onChunk?: (chunk: Buffer) => void; tuning?: Partial<BatchTuning> } = {},
): Promise<number> {
  const { batchBytes } = { ...DEFAULT_BATCH, ...opts.tuning };
  let position = opts.position ?? 0;
  let written = 0;
  let current: Buffer | null = null;
  let fill = 0;
  let writing: Promise<void> | null = null;

  /** Hands the filled part of the current buffer to a write; only call with no write in flight. */
  const startWrite = () => {
    if (!current || fill === 0) return;
    const buffer = current;
    const bytes = fill;
    const at = position;
    current = null;
    fill = 0;
    position += bytes;
    const thisWrite: Promise<void> = writeAll(handle, buffer, bytes, at).then(() => {
      if (writing === thisWrite) writing = null;
      giveBack(buffer, batchBytes);
      written += bytes;
    });
    writing = thisWrite;
    // Awaited before the next batch starts or at the end; never an unhandled rejection meanwhile.
    thisWrite.catch(() => {});
  };

  /** Copies `chunk` from `from` on into batches; a promise when it must wait for a write. */
  const consume = (chunk: Buffer, from: number): Promise<void> | undefined => {
    let offset = from;
    while (offset < chunk.length) {
      if (current && fill === current.length) {
        if (writing) return writing.then(() => consume(chunk, offset));
        startWrite();
      }
      current ??= takeBuffer(batchBytes);
      const copied = chunk.copy(current, fill, offset);
      fill += copied;
      offset += copied;
    }
    if (current && fill === current.length && !writing) startWrite();
    return undefined;
  };

  let failure: unknown = null;
  try {
    await eachChunk(source, (chunk) => {
      opts.onChunk?.(chunk);
      return consume(chunk, 0);
    });
  } catch (error) {
    failure = error;
  }
  try {
    await writing;
    startWrite();
    await writing;
  } finally {
    if (current) giveBack(current, batchBytes);
  }
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

/** Writes `bytes` of `buffer` at `position`, continuing after a short write. */
async function writeAll(handle: FileHandle, buffer: Buffer, bytes: number, position: number): Promise<void> {
  for (let done = 0; done < bytes; ) {
    const { bytesWritten } = await handle.write(buffer, done, bytes - done, position + done);
    if (bytesWritten === 0) throw new Error("The disk accepted no bytes (is it full?).");
    done += bytesWritten;
  }
}
