import { createHash, randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { access, mkdir, open, rename, rm, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { writeBatched } from "./batched-write";
import { hashFile } from "./hashing";
import { BlobTooLargeError, SHA256_PATTERN, type BlobStore, type ByteRange, type StoredBlob } from "./types";

async function fsyncPath(target: string): Promise<void> {
  const handle = await open(target, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Blobs as files under `<root>/<aa>/<bb>/<sha256>`, written to `<root>/tmp` first. */
export class FsBlobStore implements BlobStore {
  readonly kind = "fs" as const;
  private readonly tmpDir: string;

  constructor(private readonly root: string) {
    this.tmpDir = path.join(root, "tmp");
  }

  localPath(sha256: string): string {
    if (!SHA256_PATTERN.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
    return path.join(this.root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  /** A temp file on the same filesystem as the store, so moving it in is a rename. */
  async tempPath(): Promise<string> {
    await mkdir(this.tmpDir, { recursive: true });
    return path.join(this.tmpDir, randomUUID());
  }

  async put(
    source: Readable | AsyncIterable<Uint8Array>,
    opts: { maxBytes?: number; onBytes?: (n: number) => void } = {},
  ): Promise<StoredBlob> {
    const temp = await this.tempPath();
    const hash = createHash("sha256");
    const maxBytes = opts.maxBytes ?? Number.POSITIVE_INFINITY;
    let bytes = 0;
    try {
      const handle = await open(temp, "w");
      let sha256: string;
      let synced = false;
      try {
        await writeBatched(source, handle, {
          onChunk: (chunk) => {
            bytes += chunk.length;
            if (bytes > maxBytes) throw new BlobTooLargeError(maxBytes);
            hash.update(chunk);
            opts.onBytes?.(chunk.length);
          },
        });
        sha256 = hash.digest("hex");
        // A copy of a stored blob is dropped in `settle`; flushing it first would be wasted.
        if (!(await this.has(sha256))) {
          await handle.sync();
          synced = true;
        }
      } finally {
        await handle.close();
      }
      return await this.settle(temp, sha256, bytes, { synced });
    } catch (error) {
      if (source instanceof Readable) source.destroy();
      await rm(temp, { force: true });
      throw error;
    }
  }

  async putFile(filePath: string, opts: { sha256?: string } = {}): Promise<StoredBlob> {
    const { sha256, size } = opts.sha256
      ? { sha256: opts.sha256, size: (await stat(filePath)).size }
      : await hashFile(filePath);
    return this.settle(filePath, sha256, size);
  }

  /** fsync, then rename under the hash — or drop the copy when the blob is already stored. */
  private async settle(file: string, sha256: string, size: number, opts: { synced?: boolean } = {}): Promise<StoredBlob> {
    const target = this.localPath(sha256);
    if (await this.has(sha256)) {
      await unlink(file);
      return { sha256, size };
    }
    if (!opts.synced) await fsyncPath(file);
    await mkdir(path.dirname(target), { recursive: true });
    await rename(file, target);
    await fsyncPath(path.dirname(target));
    return { sha256, size };
  }

  async has(sha256: string): Promise<boolean> {
    try {
      await access(this.localPath(sha256));
      return true;
    } catch {
      return false;
    }
  }

  async get(sha256: string, range?: ByteRange): Promise<Readable> {
    const file = this.localPath(sha256);
    await access(file);
    return createReadStream(file, { start: range?.start, end: range?.end, highWaterMark: 1 << 20 });
  }

  async delete(sha256: string): Promise<void> {
    await rm(this.localPath(sha256), { force: true });
  }
}
