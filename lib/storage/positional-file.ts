import { open, type FileHandle } from "node:fs/promises";
import { FilePrefixHasher } from "./prefix-hasher";

/**
 * A file of known size being filled in any order (parallel ranges of a download, each written at
 * its offset with `handle`), its SHA-256 computed in order behind the writes by a FilePrefixHasher.
 * `written` reports finished bytes; the contiguous prefix from byte 0 is what may be hashed.
 */
export type PositionalFile = {
  readonly handle: FileHandle;
  /** Bytes `start` to `end` (inclusive) are on the file; may be called again as a range grows. */
  written(start: number, end: number): void;
  /** Every byte is written: the file's SHA-256 once it is hashed. The handle stays open. */
  finish(): Promise<string>;
  /** Stops hashing and closes the handle (the file stays; removing it is the caller's). */
  abort(): Promise<void>;
};

export type PositionalFileOptions = {
  /** The first `resumeFrom` bytes are already on the file (a resumed download); they are hashed first. */
  resumeFrom?: number;
  /** Called as the contiguous prefix grows (to record how far a download may resume). */
  onPrefix?(bytes: number): void;
  /** Flush the file to the disk every this many bytes hashed (a blob's durability; default never). */
  flushEvery?: number;
};

export async function openPositionalFile(file: string, size: number, opts: PositionalFileOptions = {}): Promise<PositionalFile> {
  const asked = opts.resumeFrom ?? 0;
  const resumeFrom = Number.isSafeInteger(asked) ? Math.min(size, Math.max(0, asked)) : 0;
  const handle = await open(file, resumeFrom > 0 ? "r+" : "w");
  let hasher: FilePrefixHasher;
  try {
    hasher = new FilePrefixHasher(file, size, { flushEvery: opts.flushEvery });
  } catch (error) {
    await handle.close();
    throw error;
  }
  // Finished stretches not yet joined to the contiguous prefix, by their first byte.
  const pending = new Map<number, number>();
  let prefix = resumeFrom;
  if (prefix > 0) hasher.advance(prefix);
  let closed = false;
  const abort = async () => {
    if (closed) return;
    closed = true;
    await hasher.stop();
    await handle.close();
  };
  return {
    handle,
    written(start, end) {
      const stop = end + 1;
      if (start > prefix) {
        pending.set(start, Math.max(pending.get(start) ?? 0, stop));
        return;
      }
      if (stop <= prefix) return;
      prefix = stop;
      for (let next = pending.get(prefix); next !== undefined; next = pending.get(prefix)) {
        pending.delete(prefix);
        prefix = next;
      }
      hasher.advance(prefix);
      opts.onPrefix?.(prefix);
    },
    async finish() {
      try {
        if (prefix !== size) throw new Error(`Only ${prefix} of ${size} bytes were written in order.`);
        const digest = await hasher.digest();
        closed = true;
        return digest;
      } catch (error) {
        await abort();
        throw error;
      }
    },
    abort,
  };
}
