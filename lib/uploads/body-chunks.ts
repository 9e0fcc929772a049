/**
 * A request body's chunks, read straight from its web stream: wrapping it in a Node Readable
 * (`Readable.fromWeb`, plus whatever a library pipes it through) adds a buffer, a tick and an
 * allocation per ~64 KiB chunk. Stopping early (a limit, a failed write) cancels the body; an
 * aborted `signal` ends the chunks where they are, so what arrived is still written.
 */
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
