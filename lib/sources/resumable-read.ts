import { finished, Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { rangeTooLong, READ_ATTEMPTS, retryDelayMs } from "./read-retries";
import { PermanentSourceError } from "./types";

/** A read about to be tried again: why, which try comes next, and the byte it continues from. */
export type ReadRetry = { error: unknown; attempt: number; attempts: number; from: number; delayMs: number };

export type ResumableReadOptions = {
  /** The object's size as listed; a resumed read asks for `from..size-1`. */
  size: number;
  /** Tries in all, the first included (default READ_ATTEMPTS). */
  attempts?: number;
  fetchWhole(signal: AbortSignal): Promise<Readable>;
  fetchRange(start: number, end: number, signal: AbortSignal): Promise<Readable>;
  signal?: AbortSignal;
  /** Told before each retry (the creation log). */
  onRetry?(retry: ReadRetry): void;
};

/**
 * One object read from its first byte as one stream, a failed read retried for this object alone
 * rather than failing the whole transfer: a read that breaks (a 5xx, a reset, a body that ends
 * short of the listed size) is tried again after a backoff, continuing at the first byte not yet
 * handed on (`fetchRange`), so the reader never sees a byte twice. Gives up after `attempts`
 * tries, and at once on a PermanentSourceError, an abort, or a break past the listed size (there
 * is nothing to continue). A continued read longer than asked for fails (the server ignores
 * ranges). Destroying the stream aborts the read in flight.
 */
export function resumableRead(opts: ResumableReadOptions): Readable {
  const { size, fetchWhole, fetchRange } = opts;
  const attempts = Math.max(1, opts.attempts ?? READ_ATTEMPTS);
  const controller = new AbortController();
  let received = 0;
  let body: Readable | null = null;

  // Object mode, as in rangedStream: each chunk is handed on as it arrived, never concatenated.
  const stream = new Readable({
    objectMode: true,
    highWaterMark: 16,
    read() {
      if (body?.isPaused()) body.resume();
    },
    destroy(error, callback) {
      opts.signal?.removeEventListener("abort", onOuterAbort);
      controller.abort(error ?? new Error("The read was closed."));
      body?.destroy();
      callback(error);
    },
  });
  const onOuterAbort = () => stream.destroy(opts.signal?.reason instanceof Error ? opts.signal.reason : new Error("The read was aborted."));

  /** Hands on `source`'s chunks until it ends; `limit` bytes at most when it is a continued read. */
  const drain = (source: Readable, limit: number | null) =>
    new Promise<void>((resolve, reject) => {
      body = source;
      let got = 0;
      let settled = false;
      const settle = (error?: unknown) => {
        if (settled) return;
        settled = true;
        source.off("data", onData);
        stopWatching();
        // What a destroyed body may still report is no longer anyone's business.
        source.on("error", () => {});
        body = null;
        if (!source.destroyed) source.destroy();
        if (error === undefined) resolve();
        else reject(error);
      };
      const onData = (raw: Buffer | Uint8Array) => {
        const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
        got += chunk.length;
        if (limit !== null && got > limit) return settle(rangeTooLong(limit));
        received += chunk.length;
        if (!stream.push(chunk)) source.pause();
      };
      const stopWatching = finished(source, { writable: false }, (error) => settle(error ?? undefined));
      source.on("data", onData);
    });

  const run = async () => {
    for (let attempt = 1; ; attempt++) {
      const from = received;
      try {
        const source = from === 0 ? await fetchWhole(controller.signal) : await fetchRange(from, size - 1, controller.signal);
        if (stream.destroyed) {
          source.destroy();
          return;
        }
        await drain(source, from === 0 ? null : size - from);
        if (received < size) throw new Error(`The read ended after ${received} of ${size} bytes.`);
        stream.push(null);
        return;
      } catch (error) {
        if (stream.destroyed) return;
        const nothingToContinue = received > 0 && received >= size;
        if (error instanceof PermanentSourceError || controller.signal.aborted || attempt >= attempts || nothingToContinue) throw error;
        const delayMs = retryDelayMs(attempt);
        opts.onRetry?.({ error, attempt: attempt + 1, attempts, from: received, delayMs });
        await sleep(delayMs, undefined, { signal: controller.signal });
      }
    }
  };

  if (opts.signal?.aborted) onOuterAbort();
  else {
    opts.signal?.addEventListener("abort", onOuterAbort, { once: true });
    run().catch((error: unknown) => {
      if (!stream.destroyed) stream.destroy(error as Error);
    });
  }
  return stream;
}
