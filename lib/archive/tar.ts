import { Parser, type ReadEntry } from "tar";
import { PermanentSourceError } from "@/lib/sources/types";
import { damaged, emitEntry, meteredEntry, shown, type Extraction, type Failure } from "./limits";
// unbzip2-stream's own stream wrapper decodes everything it holds in one go when its input
// ends, whatever the output size, so Cairn drives the package's block decoder itself, one block
// per pull: a bomb costs at most one block (≤ ~46 MB) before the ratio check sees it.
// @ts-expect-error -- the package's types cover only its stream wrapper
import bzip2Untyped from "unbzip2-stream/lib/bzip2.js";
// @ts-expect-error -- the package's types cover only its stream wrapper
import bitIteratorUntyped from "unbzip2-stream/lib/bit_iterator.js";

const FILE_TYPES = new Set(["File", "OldFile", "ContiguousFile"]);
const FOLDER_TYPES = new Set(["Directory", "GNUDumpDir"]);
/** Entries node-tar skips that carry no file content, so skipping them loses nothing. */
const METADATA_TYPES = new Set(["TapeVolumeHeader", "SolarisACL", "Inode"]);

/** Where a tar stream is, for messages: the entry the parser handed over last. */
export type TarPosition = { current: string | null };

function refusedType(x: Extraction, entry: ReadEntry): PermanentSourceError {
  const target = entry.linkpath ? ` → ${shown(entry.linkpath)}` : "";
  if (entry.type === "SymbolicLink" || entry.type === "Link") {
    const kind = entry.type === "Link" ? "a hard link" : "a symbolic link";
    return new PermanentSourceError(
      `The archive ${x.archive} contains ${kind}, ${shown(entry.path)}${target}; archives with links are refused.`,
    );
  }
  return new PermanentSourceError(
    `The archive ${x.archive} contains ${shown(entry.path)} of type ${entry.type}; only files and folders are extracted.`,
  );
}

async function handleEntry(x: Extraction, entry: ReadEntry): Promise<void> {
  x.budget.addEntry(entry.path);
  if (FOLDER_TYPES.has(entry.type)) {
    // Folders are implicit in the file paths; reading past the entry lets the parser go on.
    entry.resume();
    return;
  }
  if (!FILE_TYPES.has(entry.type)) throw refusedType(x, entry);
  const entryPath = x.paths.accept(entry.path);
  const meter = meteredEntry(x.failure, (chunk) => x.budget.addBytes(entryPath, chunk.length));
  // Piping makes the parser wait while `onEntry` is slow: the entry pauses when the meter is
  // full, and the parser stops asking for input while its current entry is paused.
  entry.pipe(meter);
  await emitEntry(x.failure, x.onEntry, entryPath, meter, entry.size);
}

function handleIgnored(x: Extraction, entry: ReadEntry): void {
  x.budget.addEntry(entry.path);
  if (METADATA_TYPES.has(entry.type)) return;
  // Sparse files, multi-volume continuations, oversized headers and unknown types: extracting
  // them as nothing would silently drop a file.
  throw new PermanentSourceError(
    `The archive ${x.archive} holds ${shown(entry.path)} as an entry of type ${entry.type}, which Cairn does not extract.`,
  );
}

/**
 * Reads an uncompressed tar stream with node-tar's parser and hands each file to `onEntry`, one
 * at a time and in archive order. Resolves when the archive and every entry are done.
 */
export async function consumeTar(source: AsyncIterable<Buffer>, x: Extraction, position: TarPosition): Promise<void> {
  // strict: a checksum failure or a truncated archive is an error, not a warning to skip past.
  // The parser still unzips a gzip it finds inside (a doubly gzipped tarball), under our ratio.
  // zstd: false, so zstd-looking bytes are read as (bad) tar rather than fed to a decoder.
  const parser = new Parser({ strict: true, zstd: false, maxDecompressionRatio: x.budget.limits.maxRatio });
  let queue: Promise<void> = Promise.resolve();
  const inOrder = (step: () => Promise<void> | void) => {
    queue = queue.then(() => (x.failure.failed ? undefined : step())).catch((error: unknown) => x.failure.fail(error));
  };
  parser.on("error", (error: Error) => {
    const ratio = /max decompression ratio exceeded/.test(error.message);
    x.failure.fail(ratio ? x.budget.tooCompressed(position.current ?? x.archive) : damaged(x.archive, x.format, error));
  });
  parser.on("entry", (entry: ReadEntry) => {
    position.current = entry.path;
    inOrder(() => handleEntry(x, entry));
  });
  parser.on("ignoredEntry", (entry: ReadEntry) => inOrder(() => handleIgnored(x, entry)));
  const ended = new Promise<void>((resolve) => parser.once("end", resolve));

  // The parser reports bad input as events, but its decoders can also throw from write().
  const guarded = <T>(step: () => T): T => {
    try {
      return step();
    } catch (error) {
      throw damaged(x.archive, x.format, error);
    }
  };
  for await (const chunk of source) {
    x.failure.throwIfFailed();
    if (!guarded(() => parser.write(chunk))) await x.failure.race(new Promise((resolve) => parser.once("drain", resolve)));
  }
  guarded(() => parser.end());
  await x.failure.race(ended);
  await queue;
  x.failure.throwIfFailed();
}

type BitReader = ((bits: number | null) => number) & { bytesRead: number };
type Bzip2Blocks = {
  header(bits: BitReader): number;
  decompress(bits: BitReader, write: (byte: number) => void, buffer: Int32Array, size: number, crc: number): number | null;
};
const bzip2Blocks: Bzip2Blocks = bzip2Untyped;
const bitIterator: (next: () => Buffer) => BitReader = bitIteratorUntyped;

/** A block at level `level` compresses to fewer bytes than this (the bound unbzip2-stream relies on). */
const blockInputBound = (level: number) => 25_000 + 100_000 * level;
const OUTPUT_CHUNK = 64 * 1024;

/** Collects the decoder's output, one byte per call, into 64 KiB buffers. */
class ByteSink {
  private chunk = Buffer.allocUnsafe(OUTPUT_CHUNK);
  private used = 0;
  private full: Buffer[] = [];

  readonly write = (byte: number): void => {
    this.chunk[this.used++] = byte;
    if (this.used === OUTPUT_CHUNK) {
      this.full.push(this.chunk);
      this.chunk = Buffer.allocUnsafe(OUTPUT_CHUNK);
      this.used = 0;
    }
  };

  take(): Buffer[] {
    const out = this.full;
    this.full = [];
    if (this.used > 0) {
      out.push(this.chunk.subarray(0, this.used));
      this.chunk = Buffer.allocUnsafe(OUTPUT_CHUNK);
      this.used = 0;
    }
    return out;
  }
}

/** Decompresses bzip2 (concatenated streams too, as pbzip2 writes them) one block per pull. */
export async function* bunzip2(source: AsyncIterable<Buffer>, toError: (cause: unknown) => Error, failure: Failure): AsyncGenerator<Buffer> {
  const input = source[Symbol.asyncIterator]();
  const queue: Buffer[] = [];
  let received = 0;
  let ended = false;
  let bits: BitReader | null = null;
  const unread = () => received - (bits?.bytesRead ?? 0);
  const nextBuffer = (): Buffer => {
    const buffer = queue.shift();
    if (!buffer) throw new Error("the data ends in the middle of a block");
    return buffer;
  };
  let level = 0;
  let crc = 0;
  let work = new Int32Array(0);
  const sink = new ByteSink();
  try {
    for (;;) {
      // The decoder reads synchronously, so a whole block must be at hand before it starts.
      while (!ended && unread() < blockInputBound(level)) {
        const next = await input.next();
        if (next.done) ended = true;
        else {
          queue.push(next.value);
          received += next.value.length;
        }
      }
      if (ended && unread() <= 0) {
        if (received === 0) throw new Error("it is empty");
        if (level > 0) throw new Error("the data ends before the end-of-stream marker");
        return;
      }
      bits ??= bitIterator(nextBuffer);
      if (level === 0) {
        level = bzip2Blocks.header(bits);
        crc = 0;
        if (work.length !== 100_000 * level) work = new Int32Array(100_000 * level);
        continue;
      }
      const next = bzip2Blocks.decompress(bits, sink.write, work, work.length, crc);
      if (next === null) level = 0;
      else crc = next;
      yield* sink.take();
    }
  } catch (error) {
    failure.fail(toError(error));
    failure.throwIfFailed();
  } finally {
    await input.return?.();
  }
}
