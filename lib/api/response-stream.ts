import type { Readable } from "node:stream";

/**
 * A response body over a Node stream. Unlike `Readable.toWeb`, a client that goes away (the
 * web stream is cancelled) destroys the source and nothing is enqueued afterwards — Node 20's
 * `toWeb` throws "Controller is already closed" from a late `data` event in that case.
 */
export function responseStream(source: Readable): ReadableStream<Uint8Array> {
  const chunks = source[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  let cancelled = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await chunks.next();
        if (cancelled) return;
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        if (!cancelled) controller.error(error);
      }
    },
    cancel() {
      cancelled = true;
      source.destroy();
    },
  });
}
