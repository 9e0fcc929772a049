import type { Readable } from "node:stream";

/** The Node stream behind each body `responseStream` made, for the data plane to pipe directly. */
const nodeSources = new WeakMap<ReadableStream<Uint8Array>, Readable>();

/** The Node stream a body was made from by `responseStream`, or null for any other body. */
export function nodeSourceOf(body: ReadableStream<Uint8Array> | null): Readable | null {
  return (body && nodeSources.get(body)) ?? null;
}

/**
 * A response body over a Node stream. Unlike `Readable.toWeb`, a client that goes away (the
 * web stream is cancelled) destroys the source and nothing is enqueued afterwards — Node 20's
 * `toWeb` throws "Controller is already closed" from a late `data` event in that case.
 */
export function responseStream(source: Readable): ReadableStream<Uint8Array> {
  // Made on the first pull: the data plane pipes `source` itself, and never pulls.
  let chunks: AsyncIterator<Uint8Array> | undefined;
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        chunks ??= source[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
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
    // No pull before a read: a stream with a queue pulls once on creation, taking a chunk from
    // `source` that the data plane, which pipes `source` itself, would never send.
  }, { highWaterMark: 0 });
  nodeSources.set(body, source);
  return body;
}
