import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { PermanentSourceError } from "./types";

const MiB = 1024 ** 2;

/** When a cloud object is big enough to be worth fetching as parallel ranges, and how. */
export type RangedTuning = {
  /** Objects of at least this many bytes are fetched as ranges. */
  threshold: number;
  rangeSize: number;
  concurrency: number;
};

export const DEFAULT_RANGED_TUNING: RangedTuning = { threshold: 64 * MiB, rangeSize: 16 * MiB, concurrency: 4 };

export type RangedStreamOptions = {
  size: number;
  rangeSize?: number;
  concurrency?: number;
  /** Bytes `start..end`, both inclusive, as a stream; should reject with PermanentSourceError for what a retry cannot fix. */
  fetchRange(start: number, end: number, signal: AbortSignal): Promise<Readable>;
  signal?: AbortSignal;
  /** Tries per range; a range is only emitted once complete, so a reset mid-range costs one range, not the file. */
  attempts?: number;
};

/**
 * One object of `size` bytes read as `rangeSize` ranges, up to `concurrency` in flight, emitted in
 * order. Each range is buffered until complete (so it can be retried cleanly), which bounds memory
 * at about `concurrency × rangeSize` per stream; no new range starts until the reader catches up.
 * Destroying the stream aborts every range in flight.
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

  const window: Promise<Buffer[]>[] = [];
  let nextRange = 0;
  let pumping = false;

  const fill = () => {
    while (window.length < concurrency && nextRange < count) {
      const start = nextRange * rangeSize;
      const end = Math.min(size, start + rangeSize) - 1;
      nextRange++;
      const loading = loadRange(start, end);
      // Ranges behind the head may fail while we await the head; they are awaited in turn.
      loading.catch(() => {});
      window.push(loading);
    }
  };

  async function loadRange(start: number, end: number): Promise<Buffer[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await collect(await fetchRange(start, end, controller.signal), end - start + 1, controller.signal);
      } catch (error) {
        if (error instanceof PermanentSourceError || controller.signal.aborted || attempt >= attempts) throw error;
        await sleep(200 * 2 ** attempt, undefined, { signal: controller.signal });
      }
    }
  }

  async function pump() {
    pumping = true;
    try {
      for (;;) {
        fill();
        const head = window.shift();
        if (!head) {
          stream.push(null);
          return;
        }
        const chunks = await head;
        if (stream.destroyed) return;
        let wantsMore = true;
        for (const chunk of chunks) wantsMore = stream.push(chunk);
        if (!wantsMore) return;
      }
    } catch (error) {
      stream.destroy(error as Error);
    } finally {
      pumping = false;
    }
  }

  const stream = new Readable({
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

/** Reads a range body into memory, refusing a short or long one (a server that ignored Range). */
async function collect(body: Readable, expected: number, signal: AbortSignal): Promise<Buffer[]> {
  const onAbort = () => body.destroy();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    const chunks: Buffer[] = [];
    let received = 0;
    for await (const chunk of body) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      received += buffer.length;
      if (received > expected) throw new Error(`The server sent more than the ${expected} bytes asked for; it may not support ranged reads.`);
      chunks.push(buffer);
    }
    signal.throwIfAborted();
    if (received !== expected) throw new Error(`A ranged read ended after ${received} of ${expected} bytes.`);
    return chunks;
  } finally {
    signal.removeEventListener("abort", onAbort);
    if (!body.destroyed) body.destroy();
  }
}

/**
 * The usual way to open a cloud object: one plain read for small objects, parallel ranges for
 * large ones. `fetchRange` without bounds reads the whole object.
 */
export async function openObject(opts: {
  size: number;
  tuning?: Partial<RangedTuning>;
  signal?: AbortSignal;
  fetchWhole(signal?: AbortSignal): Promise<Readable>;
  fetchRange(start: number, end: number, signal: AbortSignal): Promise<Readable>;
}): Promise<Readable> {
  const tuning = { ...DEFAULT_RANGED_TUNING, ...opts.tuning };
  if (opts.size < tuning.threshold) return opts.fetchWhole(opts.signal);
  return rangedStream({ size: opts.size, rangeSize: tuning.rangeSize, concurrency: tuning.concurrency, fetchRange: opts.fetchRange, signal: opts.signal });
}
