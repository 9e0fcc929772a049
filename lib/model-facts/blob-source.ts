import "server-only";
import type { BlobStore } from "@/lib/storage";
import type { ByteSource } from "./readers/source";

/** Random access to one stored blob: each read is one ranged get, so only the bytes asked for move; `stream` is one get. */
export function blobSource(store: BlobStore, blob: { sha256: string; size: number }): ByteSource {
  return {
    size: blob.size,
    async read(offset, length) {
      const end = Math.min(offset + length, blob.size);
      if (end <= offset) return Buffer.alloc(0);
      const chunks: Buffer[] = [];
      for await (const chunk of await store.get(blob.sha256, { start: offset, end: end - 1 })) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
    async *stream(start, end) {
      if (Math.min(end, blob.size) <= start) return;
      for await (const chunk of await store.get(blob.sha256, { start, end: Math.min(end, blob.size) - 1 })) yield chunk as Buffer;
    },
  };
}
