import type { Readable } from "node:stream";
import type { PositionalFile } from "./positional-file";

export type StoredBlob = { sha256: string; size: number };

/**
 * A blob whose bytes are all written and hashed, and `durable`, which settles once it is flushed
 * and named under its hash (or rejects, leaving nothing behind).
 */
export type WrittenBlob = { blob: StoredBlob; durable: Promise<void> };

export type PutOptions = { maxBytes?: number; onBytes?: (n: number) => void };

/** Thrown when a stream carries more bytes than the caller allowed; nothing is stored. */
export class BlobTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`The data is larger than the ${limit} bytes allowed.`);
    this.name = "BlobTooLargeError";
  }
}

export type ByteRange = { start: number; end: number };

/**
 * A blob of known size being written in any order: a PositionalFile whose `finish` resolves with
 * the blob once it is hashed (flushing and naming in `durable`) and whose `abort` removes the
 * temp file, so nothing is stored.
 */
export type PositionalWrite = Omit<PositionalFile, "finish"> & { finish(): Promise<WrittenBlob> };

/**
 * Content-addressed storage: a blob's key is the SHA-256 of its bytes, computed while they are
 * written, so identical files are stored once and a half-written blob never has a name.
 */
export interface BlobStore {
  readonly kind: "fs" | "s3";
  /**
   * Which store holds the bytes, stable for as long as the configuration is: `filesystem:<root>` or
   * `s3:<bucket>`. Checkpoints show it as `status.storageProviderID`.
   */
  readonly id: string;
  /** Streams bytes in, hashing them on the way; rejects with BlobTooLargeError past `maxBytes`. */
  put(source: Readable | AsyncIterable<Uint8Array>, opts?: PutOptions): Promise<StoredBlob>;
  /**
   * `put` in two steps: resolves once every byte is written and hashed, with the flush and naming
   * still running in `durable` (what `put` waits for). A caller storing blobs one after another
   * (an archive's entries) streams the next while the last one is flushed.
   */
  write(source: Readable | AsyncIterable<Uint8Array>, opts?: PutOptions): Promise<WrittenBlob>;
  /**
   * A temp file of `size` bytes to fill in any order (stores that keep blobs on a local disk);
   * rejects with BlobTooLargeError when `size` is past `maxBytes`.
   */
  openPositional?(size: number, opts?: { maxBytes?: number }): Promise<PositionalWrite>;
  /** Moves a finished local file into the store (it is consumed). `sha256` skips re-hashing when known. */
  putFile(filePath: string, opts?: { sha256?: string }): Promise<StoredBlob>;
  has(sha256: string): Promise<boolean>;
  /** The blob's bytes, or the inclusive range of them. */
  get(sha256: string, range?: ByteRange): Promise<Readable>;
  delete(sha256: string): Promise<void>;
  /** Where the blob lives on this machine's disk, when the driver keeps blobs on disk. */
  localPath?(sha256: string): string;
  /** The directory below which `localPath`s lie (layout: `blobRelativePath`), for job agents that see it. */
  readonly localRoot?: string;
}

export const SHA256_PATTERN = /^[0-9a-f]{64}$/;
