import { createHash, type Hash } from "node:crypto";
import type http from "node:http";
import { pipeline, Transform, type Readable } from "node:stream";
import { FileStore } from "@tus/file-store";

type HashState = { hash: Hash; offset: number };

/**
 * tus's FileStore, hashing bytes as they arrive so a finished upload's SHA-256 is known without
 * reading the file again. When the chain breaks (a server restart, an aborted PATCH) the state is
 * dropped and the blob store hashes the file once at the end instead.
 */
export class HashingFileStore extends FileStore {
  private readonly hashes = new Map<string, HashState>();

  async write(readable: http.IncomingMessage | Readable, id: string, offset: number): Promise<number> {
    const known = this.hashes.get(id);
    const state = known && known.offset === offset ? known : offset === 0 ? { hash: createHash("sha256"), offset: 0 } : null;
    this.hashes.delete(id);
    if (!state) return super.write(readable, id, offset);
    let hashed = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        state.hash.update(chunk);
        hashed += chunk.length;
        callback(null, chunk);
      },
    });
    const newOffset = await super.write(pipeline(readable, tap, () => {}), id, offset);
    if (newOffset === offset + hashed) this.hashes.set(id, { hash: state.hash, offset: newOffset });
    return newOffset;
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
