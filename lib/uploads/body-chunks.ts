import type { IncomingMessage } from "node:http";

/**
 * Request bodies the data plane (lib/net/data-plane.ts) hands over as the Node stream they arrived
 * on: the route handler's `Request` carries only the headers, and its body is read from here.
 */
const nodeBodies = new WeakMap<Request, IncomingMessage>();

/** Makes `source` the body of `request` for `requestChunks`. */
export function attachNodeBody(request: Request, source: IncomingMessage): void {
  nodeBodies.set(request, source);
}

/**
 * A request body's chunks, read straight from the Node stream the data plane handed over or from
 * the request's web stream: wrapping it in a Node Readable (`Readable.fromWeb`, plus whatever a
 * library pipes it through) adds a buffer, a tick and an allocation per ~64 KiB chunk. Stopping
 * early (a limit, a failed write) ends reading; an aborted `signal` ends the chunks where they
 * are, so what arrived is still written. Null when the request has no body.
 */
export function requestChunks(request: Request, signal?: AbortSignal): AsyncGenerator<Uint8Array> | null {
  const source = nodeBodies.get(request);
  if (source) return nodeChunks(source, signal);
  return request.body ? bodyChunks(request.body, signal) : null;
}

async function* nodeChunks(source: IncomingMessage, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  // Not destroyed on an early stop: the socket still carries the answer, and Node drains the rest.
  const chunks = source.iterator({ destroyOnReturn: false });
  try {
    for (;;) {
      if (signal?.aborted) return;
      const next = signal ? await nextOrAbort(chunks, signal) : await chunks.next();
      if (next === "aborted" || next.done) return;
      yield next.value as Uint8Array;
    }
  } finally {
    void chunks.return?.(undefined);
  }
}

/**
 * The next chunk, or "aborted" when `signal` fires first. The listener lives for this one read
 * only: racing every read against one long-lived abort promise would keep each chunk reachable
 * from that promise's reactions until the request ends (a whole upload in memory).
 */
function nextOrAbort(chunks: AsyncIterator<unknown>, signal: AbortSignal): Promise<IteratorResult<unknown> | "aborted"> {
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve("aborted");
    signal.addEventListener("abort", onAbort, { once: true });
    chunks.next().then(
      (result) => {
        signal.removeEventListener("abort", onAbort);
        resolve(result);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** The chunks of a web stream, read with its own reader; stopping early cancels it. */
export async function* bodyChunks(body: ReadableStream<Uint8Array>, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  const onAbort = () => void reader.cancel().catch(() => {});
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || signal?.aborted) return;
      yield value;
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    await reader.cancel().catch(() => {});
  }
}
