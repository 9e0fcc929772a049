import { createHash, type Hash } from "node:crypto";
import { open } from "node:fs/promises";
import type http from "node:http";
import path from "node:path";
import type { Readable } from "node:stream";
import { FileStore } from "@tus/file-store";
import { writeBatched } from "@/lib/storage/batched-write";

type HashState = { hash: Hash; offset: number };

/**
 * tus's FileStore, hashing bytes as they arrive so a finished upload's SHA-256 is known without
 * reading the file again. When the chain breaks (a server restart, an aborted PATCH) the state is
 * dropped and the blob store hashes the file once at the end instead.
 *
 * Writes go through `writeBatched` rather than FileStore's write stream (16 KiB buffer, one
 * thread-pool round trip per network chunk): several MiB per write, the next batch filling while
 * one is written. Every byte received is on disk before `write` settles, an aborted PATCH
 * included, so the upload's offset (the file's length) stays exact and tus resumes from it.
 */
export class HashingFileStore extends FileStore {
  private readonly hashes = new Map<string, HashState>();
  private readonly dir: string;

  constructor(options: ConstructorParameters<typeof FileStore>[0]) {
    super(options);
    this.dir = options.directory;
  }

  async write(readable: http.IncomingMessage | Readable | AsyncIterable<Uint8Array>, id: string, offset: number): Promise<number> {
    const known = this.hashes.get(id);
    const state = known && known.offset === offset ? known : offset === 0 ? { hash: createHash("sha256"), offset: 0 } : null;
    this.hashes.delete(id);
    const handle = await open(path.join(this.dir, id), "r+");
    let written: number;
    try {
      written = await writeBatched(readable, handle, { position: offset, onChunk: state ? (chunk) => state.hash.update(chunk) : undefined });
    } finally {
      await handle.close();
    }
    if (state) this.hashes.set(id, { hash: state.hash, offset: offset + written });
    return offset + written;
  }

  /** The SHA-256 of a finished upload when every byte went through this process, else null. */
  takeDigest(id: string, size: number): string | null {
    const state = this.hashes.get(id);
    this.hashes.delete(id);
    return state && state.offset === size ? state.hash.digest("hex") : null;
  }

  forget(id: string): void {
    this.hashes.delete(id);
  }
}
