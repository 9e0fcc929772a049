import { finished, Readable } from "node:stream";
import { writeBatched } from "@/lib/storage/batched-write";
import type { PositionalFile } from "@/lib/storage/positional-file";
import { rangeTooLong, READ_ATTEMPTS, withReadRetries } from "./read-retries";
import { resumableRead, type ReadRetry } from "./resumable-read";
import type { SourceFile } from "./types";

const MiB = 1024 ** 2;

/** When a cloud object is big enough to be worth fetching as parallel ranges, and how. */
export type RangedTuning = {
  /** Objects of at least this many bytes are fetched as ranges. */
  threshold: number;
  rangeSize: number;
  concurrency: number;
};

export const DEFAULT_RANGED_TUNING: RangedTuning = { threshold: 64 * MiB, rangeSize: 16 * MiB, concurrency: 4 };

/** A RangedSource with the tuning defaulted; a retry continues from the range's first missing byte. */
export type RangedStreamOptions = Pick<RangedSource, "size" | "fetchRange"> &
  Partial<Pick<RangedSource, "rangeSize" | "concurrency" | "attempts">> & { signal?: AbortSignal };

/** One range being fetched: what arrived and was not handed on yet, and how it ended. */
type RangeLoad = { chunks: Buffer[]; done: boolean; error: unknown; wake: (() => void) | null };

/**
 * One object of `size` bytes read as `rangeSize` ranges, up to `concurrency` in flight, emitted in
 * order. The head range streams straight through as its bytes arrive; the ranges behind it are
 * held until it is done (at most about `concurrency × rangeSize` per stream), and no new range
 * starts until the reader catches up. A range whose connection breaks continues where it stopped
 * (`fetchRange` from the first missing byte), so what was handed on is never sent twice; a server
 * that answers more than the range asked for fails the stream (it ignores ranges, and its bytes
 * may already have been handed on). Destroying the stream aborts every range in flight.
 */
export function rangedStream(options: RangedStreamOptions): Readable {
  const { size, fetchRange } = options;
  const rangeSize = Math.max(1, options.rangeSize ?? DEFAULT_RANGED_TUNING.rangeSize);
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_RANGED_TUNING.concurrency);
  const attempts = Math.max(1, options.attempts ?? 3);
  const count = Math.ceil(size / rangeSize);
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onOuterAbort, { once: true });

  const window: RangeLoad[] = [];
  let nextRange = 0;
  let pumping = false;

  const fill = () => {
    while (window.length < concurrency && nextRange < count) {
      const start = nextRange * rangeSize;
      const end = Math.min(size, start + rangeSize) - 1;
      nextRange++;
      window.push(loadRange(start, end));
    }
  };

  function loadRange(start: number, end: number): RangeLoad {
    const load: RangeLoad = { chunks: [], done: false, error: null, wake: null };
    const notify = () => {
      const wake = load.wake;
      load.wake = null;
      wake?.();
    };
    const expected = end - start + 1;
    let received = 0;
    const run = () =>
      withReadRetries(attempts, controller.signal, async () => {
        const body = await fetchRange(start + received, end, controller.signal);
        await pour(body, expected - received, controller.signal, (chunk) => {
          received += chunk.length;
          load.chunks.push(chunk);
          notify();
        });
      });
    run().then(
      () => {
        load.done = true;
        notify();
      },
      (error: unknown) => {
        load.error = error;
        notify();
      },
    );
    return load;
  }

  async function pump() {
    pumping = true;
    try {
      for (;;) {
        fill();
        const head = window[0];
        if (!head) {
          stream.push(null);
          return;
        }
        while (head.chunks.length > 0) {
          // push() keeps the chunk even when it answers false; false only asks for a pause.
          if (!stream.push(head.chunks.shift())) return;
        }
        if (head.error) throw head.error;
        if (head.done) {
          window.shift();
          continue;
        }
        await new Promise<void>((resolve) => (head.wake = resolve));
        if (stream.destroyed) return;
      }
    } catch (error) {
      stream.destroy(error as Error);
    } finally {
      pumping = false;
    }
  }

  // Object mode: each chunk is handed on as it arrived. In byte mode a reader's read() (an async
  // iterator's, say) concatenates everything buffered into one new Buffer.
  const stream = new Readable({
    objectMode: true,
    highWaterMark: 16,
    read() {
      if (!pumping) void pump();
    },
    destroy(error, callback) {
      options.signal?.removeEventListener("abort", onOuterAbort);
      controller.abort(error ?? new Error("The ranged read was closed."));
      callback(error);
    },
  });
  if (options.signal?.aborted) stream.destroy(options.signal.reason as Error);
  return stream;
}

/**
 * An object that can be read as byte ranges side by side (a large object in a bucket, a file on a
 * web host that honours Range with a validator). `fetchRange` gives bytes `start..end`, both
 * inclusive, and should reject with PermanentSourceError for what a retry cannot fix.
 */
export type RangedSource = {
  size: number;
  rangeSize: number;
  concurrency: number;
  /** Tries per range. */
  attempts: number;
  fetchRange(start: number, end: number, signal: AbortSignal): Promise<Readable>;
};

/** Where `downloadRanges` writes: a file of the object's size, told of what is written. */
export type RangeTarget = Pick<PositionalFile, "handle" | "written">;

/**
 * Downloads `source` into `target` as `rangeSize` ranges, `concurrency` at a time, each written at
 * its own offset as it arrives: nothing is held in memory for ordering (the stream form,
 * `rangedStream`, must hold every range behind the head until the head is done, and chunks held
 * that long cost the server full garbage collections). A range that breaks continues after its
 * last written byte; a server that sends more than a range asked for fails the download.
 * Resolves once every range is written and reported; on failure no range is still writing.
 */
export async function downloadRanges(
  source: RangedSource,
  target: RangeTarget,
  opts: { signal?: AbortSignal; onBytes?(n: number): void; /** Bytes before this are on the file already. */ from?: number } = {},
): Promise<void> {
  const { size, fetchRange } = source;
  const rangeSize = Math.max(1, source.rangeSize);
  const from = Math.min(size, Math.max(0, opts.from ?? 0));
  const count = Math.ceil((size - from) / rangeSize);
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(opts.signal?.reason);
  if (opts.signal?.aborted) onOuterAbort();
  opts.signal?.addEventListener("abort", onOuterAbort, { once: true });
  let next = 0;
  const lane = async () => {
    while (next < count && !controller.signal.aborted) {
      const start = from + next++ * rangeSize;
      const end = Math.min(size, start + rangeSize) - 1;
      const expected = end - start + 1;
      // Bytes of this range on the file: a retry continues after them, so a byte is never
      // written twice (the hash may already have read it) and a reset costs a request, not the range.
      let done = 0;
      await withReadRetries(Math.max(1, source.attempts), controller.signal, async () => {
        const at = start + done;
        const before = done;
        let received = 0;
        try {
          const body = await fetchRange(at, end, controller.signal);
          // A body that ignores the signal is destroyed here, so no lane outlives a failure.
          const stop = () => body.destroy(controller.signal.reason as Error);
          controller.signal.addEventListener("abort", stop, { once: true });
          try {
            await writeBatched(body, target.handle, {
              position: at,
              // The hash may follow a range as it is written, not only once it is whole.
              onWritten: (position, bytes) => {
                done = position + bytes - start;
                target.written(start, position + bytes - 1);
              },
              onChunk: (chunk) => {
                if (received + chunk.length > expected - before) {
                  throw rangeTooLong(expected - before);
                }
                received += chunk.length;
                opts.onBytes?.(chunk.length);
              },
            });
          } finally {
            controller.signal.removeEventListener("abort", stop);
          }
        } catch (error) {
          // What arrived but was not written is fetched again.
          opts.onBytes?.(-(received - (done - before)));
          throw error;
        }
        if (done !== expected) throw new Error(`A ranged read ended after ${done} of ${expected} bytes.`);
      });
    }
  };
  const lanes = Array.from({ length: Math.min(Math.max(1, source.concurrency), count) }, () =>
    lane().catch((error: unknown) => {
      controller.abort(error);
      throw error;
    }),
  );
  const results = await Promise.allSettled(lanes);
  opts.signal?.removeEventListener("abort", onOuterAbort);
  // The first failure is the abort's reason; the lanes it stopped fail with "aborted".
  if (controller.signal.aborted) throw controller.signal.reason;
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}

/**
 * Hands on a range body's chunks, refusing a long one (a server that ignored Range: not worth a
 * retry, and its first bytes may already be gone) and failing a short one (retried from where it
 * stopped).
 */
async function pour(body: Readable, expected: number, signal: AbortSignal, onChunk: (chunk: Buffer) => void): Promise<void> {
  // 'data' events hand on each chunk as it arrived; an async iterator's read() would concatenate
  // whatever is buffered into one new Buffer, a copy of every byte.
  await new Promise<void>((resolve, reject) => {
    let received = 0;
    let settled = false;
    const settle = (error?: unknown) => {
      if (settled) return;
      settled = true;
      body.off("data", onData);
      signal.removeEventListener("abort", onAbort);
      stopWatching();
      if (!body.destroyed) body.destroy();
      if (error !== undefined) reject(error);
      else resolve();
    };
    const onAbort = () => settle(signal.reason ?? new Error("The ranged read was aborted."));
    const onData = (raw: Buffer | Uint8Array) => {
      const buffer = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      received += buffer.length;
      if (received > expected) {
        settle(rangeTooLong(expected));
        return;
      }
      onChunk(buffer);
    };
    const stopWatching = finished(body, { writable: false }, (error) => {
      if (error) settle(error);
      else if (received !== expected) settle(new Error(`A ranged read ended after ${received} of ${expected} bytes.`));
      else settle();
    });
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    body.on("data", onData);
  });
}

/**
 * How a cloud object is read: small objects as one stream whose breaks are retried for that
 * object (`resumableRead`); large ones are also offered as parallel ranges (`ranges`, which a
 * store that writes at offsets downloads directly, each range retried on its own), and `open`
 * then stitches those ranges into one ordered stream. So one flaky object never restarts a
 * transfer of many. `onRetry` hears of each retried read of a small object.
 */
export function objectReader(opts: {
  size: number;
  tuning?: Partial<RangedTuning>;
  fetchWhole(signal?: AbortSignal): Promise<Readable>;
  fetchRange(start: number, end: number, signal: AbortSignal): Promise<Readable>;
  onRetry?(retry: ReadRetry): void;
}): Pick<SourceFile, "open" | "ranges"> {
  const tuning = { ...DEFAULT_RANGED_TUNING, ...opts.tuning };
  if (opts.size < tuning.threshold) {
    return {
      open: async ({ signal } = {}) =>
        resumableRead({ size: opts.size, fetchWhole: opts.fetchWhole, fetchRange: opts.fetchRange, signal, onRetry: opts.onRetry }),
    };
  }
  const ranges: RangedSource = { size: opts.size, rangeSize: tuning.rangeSize, concurrency: tuning.concurrency, attempts: READ_ATTEMPTS, fetchRange: opts.fetchRange };
  return { ranges, open: async ({ signal } = {}) => rangedStream({ ...ranges, signal }) };
}
