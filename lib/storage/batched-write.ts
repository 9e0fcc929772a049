import type { FileHandle } from "node:fs/promises";
import { finished, Readable } from "node:stream";

const MiB = 1024 ** 2;

/** How a stream is written to disk. */
export type BatchTuning = {
  /** Bytes gathered before one write; at most two batches are held (one being written). */
  batchBytes: number;
};

export const DEFAULT_BATCH: BatchTuning = { batchBytes: 1 * MiB };

/** Chunks per `writev`: well under the kernel's IOV_MAX (1024), whatever size the chunks are. */
const MAX_CHUNKS_PER_WRITE = 256;

/**
 * Writes every chunk of `source` to `handle` from `position` on, in batches, and resolves with
 * the number of bytes written. `onChunk` sees each chunk first, in order (hash, count, limit:
 * throwing stops the write). Network streams arrive in ~64 KiB chunks; a write stream with a
 * small buffer makes each of them a round trip through libuv's thread pool and pauses the socket
 * while it is out. Here the chunks themselves are gathered — no copy — into ~1 MiB batches and
 * handed to one `writev` while the next batch gathers, so the socket keeps flowing and memory
 * stays bounded at two batches per write. (Copying chunks into one large buffer instead cost twice
 * the system time on a 1 GiB upload: the kernel then reads every byte from a buffer that has left
 * the CPU cache, where a chunk just received is still in it. Batches of 1 MiB measured best.)
 * Sources must not reuse a chunk's memory after handing it on: Node streams, web streams,
 * zlib and the HTTP parser all hand out fresh buffers.
 *
 * When `source` ends or fails, what was received is written before this settles (a tus upload
 * resumes from the file's length, so received bytes must not be dropped on an error). Flushing
 * to the disk is the caller's: one fsync before the rename that names the blob. (A background
 * `fdatasync` every 64 MiB was tried: no faster end to end, and more work in this process.)
 */
export async function writeBatched(
  source: Readable | AsyncIterable<Uint8Array>,
  handle: FileHandle,
  opts: {
    position?: number;
    onChunk?: (chunk: Buffer) => void;
    /** After each write: `bytes` more from `position` on are on the file. */
    onWritten?: (position: number, bytes: number) => void;
    tuning?: Partial<BatchTuning>;
  } = {},
): Promise<number> {
  const { batchBytes } = { ...DEFAULT_BATCH, ...opts.tuning };
  let position = opts.position ?? 0;
  let written = 0;
  let gathered: Buffer[] = [];
  let gatheredBytes = 0;
  let writing: Promise<void> | null = null;

  /** Hands the gathered chunks to one write; only call with no write in flight. */
  const startWrite = () => {
    if (gatheredBytes === 0) return;
    const chunks = gathered;
    const bytes = gatheredBytes;
    const at = position;
    gathered = [];
    gatheredBytes = 0;
    position += bytes;
    const thisWrite: Promise<void> = writevAll(handle, chunks, at).then(() => {
      if (writing === thisWrite) writing = null;
      written += bytes;
      opts.onWritten?.(at, bytes);
    });
    writing = thisWrite;
    // Awaited before the next batch starts or at the end; never an unhandled rejection meanwhile.
    thisWrite.catch(() => {});
  };

  /** Adds `chunk` to the batch; a promise when the batch is full and must wait for a write. */
  const consume = (chunk: Buffer): Promise<void> | undefined => {
    if (chunk.length === 0) return undefined;
    gathered.push(chunk);
    gatheredBytes += chunk.length;
    if (gatheredBytes < batchBytes && gathered.length < MAX_CHUNKS_PER_WRITE) return undefined;
    if (!writing) {
      startWrite();
      return undefined;
    }
    return writing.then(() => {
      if (!writing) startWrite();
    });
  };

  let failure: unknown = null;
  try {
    await eachChunk(source, (chunk) => {
      opts.onChunk?.(chunk);
      return consume(chunk);
    });
  } catch (error) {
    failure = error;
  }
  await writing;
  startWrite();
  await writing;
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

/** Writes every byte of `chunks` at `position`, continuing after a short write. */
async function writevAll(handle: FileHandle, chunks: Buffer[], position: number): Promise<void> {
  let rest = chunks;
  let at = position;
  while (rest.length > 0) {
    const { bytesWritten } = await handle.writev(rest, at);
    if (bytesWritten === 0) throw new Error("The disk accepted no bytes (is it full?).");
    at += bytesWritten;
    rest = skipBytes(rest, bytesWritten);
  }
}

/** `chunks` without their first `bytes` bytes. */
function skipBytes(chunks: Buffer[], bytes: number): Buffer[] {
  let skip = bytes;
  let index = 0;
  while (index < chunks.length && skip >= chunks[index].length) skip -= chunks[index++].length;
  const rest = chunks.slice(index);
  if (skip > 0 && rest.length > 0) rest[0] = rest[0].subarray(skip);
  return rest;
}
