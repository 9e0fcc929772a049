import "server-only";
import { createHash, type Hash } from "node:crypto";
import { ModelFactsProblem, type ByteSource, type TensorInfo } from "./readers/source";

/** Bytes read at once while hashing from a source without a stream: memory stays at this. */
export const DIGEST_CHUNK = 8 * 1024 * 1024;

type Range = { offset: number; length: number };
/** One distinct byte range and the tensors that share it (tied weights are hashed once). */
type Span = Range & { names: string[] };
type Open = Span & { hash: Hash; end: number };

async function* chunked(source: ByteSource, start: number, end: number, chunk: number): AsyncIterable<Buffer> {
  for (let at = start; at < end; ) {
    const bytes = (await source.read(at, Math.min(chunk, end - at))).subarray(0, end - at);
    if (bytes.length === 0) return;
    yield bytes;
    at += bytes.length;
  }
}

/**
 * The SHA-256 of each tensor's data bytes (its `range` as a reader found it), keyed by name; a
 * tensor without a range gets none. The file streams once from the first tensor's first byte to
 * the last one's last, and each chunk feeds the tensors it overlaps, so memory stays at one chunk
 * whatever the tensors' sizes and however their ranges overlap (views of one storage). A source
 * that ends early is a problem naming the first tensor it cut short.
 */
export async function digestTensors(source: ByteSource, tensors: TensorInfo[], opts: { chunk?: number } = {}): Promise<Record<string, string>> {
  const byRange = new Map<string, Span>();
  for (const t of tensors) {
    if (!t.range) continue;
    const key = `${t.range.offset}:${t.range.length}`;
    const span = byRange.get(key);
    if (span) span.names.push(t.name);
    else byRange.set(key, { ...t.range, names: [t.name] });
  }
  const spans = [...byRange.values()].sort((a, b) => a.offset - b.offset || a.length - b.length);
  const digests: Record<string, string> = {};
  const close = (span: Open) => {
    const digest = span.hash.digest("hex");
    for (const name of span.names) digests[name] = digest;
  };
  if (spans.length === 0) return digests;

  const start = spans[0]!.offset;
  const end = Math.max(...spans.map((s) => s.offset + s.length));
  const bytes = source.stream ? source.stream(start, end) : chunked(source, start, end, opts.chunk ?? DIGEST_CHUNK);
  let next = 0;
  let open: Open[] = [];
  let at = start;
  for await (const chunk of bytes) {
    const chunkEnd = at + chunk.length;
    while (next < spans.length && spans[next]!.offset < chunkEnd) {
      const span = spans[next++]!;
      open.push({ ...span, hash: createHash("sha256"), end: span.offset + span.length });
    }
    for (const span of open) span.hash.update(chunk.subarray(Math.max(span.offset - at, 0), Math.min(span.end, chunkEnd) - at));
    const still: Open[] = [];
    for (const span of open) {
      if (span.end <= chunkEnd) close(span);
      else still.push(span);
    }
    open = still;
    at = chunkEnd;
    if (at >= end) break;
  }
  // Zero-length tensors at the very end never meet a chunk; anything else left open was cut short.
  while (next < spans.length) {
    const span = spans[next++]!;
    open.push({ ...span, hash: createHash("sha256"), end: span.offset + span.length });
  }
  for (const span of open) {
    if (span.length > 0 && span.end > at) {
      throw new ModelFactsProblem(`tensor '${span.names[0]}' ends past the end of the file (${source.size} bytes)`);
    }
    close(span);
  }
  return digests;
}
