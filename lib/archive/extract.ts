import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { PermanentSourceError } from "@/lib/sources/types";
import {
  ArchiveBudget,
  damaged,
  emitEntry,
  EntryPaths,
  Failure,
  meteredEntry,
  type ArchiveLimits,
  type Extraction,
  type OnEntry,
} from "./limits";
import { bunzip2, consumeTar, type TarPosition } from "./tar";
import { extractZip } from "./zip";

export { archiveLimits, type ArchiveLimits } from "./limits";

const GUNZIP_CHUNK_BYTES = 256 * 1024;

export type ArchiveKind = "zip" | "tar" | "tgz" | "tbz2" | "bz2";

const FORMAT_NAMES: Record<ArchiveKind, string> = { zip: "zip", tar: "tar", tgz: "tar.gz", tbz2: "tar.bz2", bz2: "bzip2" };

/** Which archive format a file name promises (case-insensitive), or null when it is not one Cairn extracts. */
export function archiveKind(name: string): ArchiveKind | null {
  const lower = name.toLowerCase();
  if (lower.endsWith(".zip")) return "zip";
  if (lower.endsWith(".tar")) return "tar";
  if (lower.endsWith(".tar.gz") || lower.endsWith(".tgz")) return "tgz";
  if (lower.endsWith(".tar.bz2")) return "tbz2";
  if (lower.endsWith(".bz2")) return "bz2";
  return null;
}

/** The first `n` bytes of `source` (fewer when it is shorter) and all of it, those bytes included. */
async function peek(source: AsyncIterable<Buffer>, n: number): Promise<{ head: Buffer; all: AsyncIterable<Buffer> }> {
  const iterator = source[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let have = 0;
  let done = false;
  while (have < n && !done) {
    const next = await iterator.next();
    if (next.done) done = true;
    else {
      chunks.push(next.value);
      have += next.value.length;
    }
  }
  const head = Buffer.concat(chunks);
  async function* all(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    if (done) return;
    try {
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    } finally {
      await iterator.return?.();
    }
  }
  return { head: head.subarray(0, n), all: all() };
}

/** The file a plain `.bz2` decompresses to: its name without `.bz2`. */
function singleFileName(archive: string): string {
  const base = archive.split("/").pop() ?? archive;
  return base.slice(0, -".bz2".length);
}

/**
 * A plain `.bz2` is one compressed file, unless what it decompresses to is a tar (the POSIX
 * `ustar` magic at offset 257): people name tarballs `x.bz2` often enough that extracting them
 * as a single opaque file would surprise more than it would help. Old pre-POSIX tars lack the
 * magic and come out as one file.
 */
async function consumeBzip2Content(source: AsyncIterable<Buffer>, x: Extraction, position: TarPosition): Promise<void> {
  const { head, all } = await peek(source, 262);
  if (head.subarray(257, 262).toString("latin1") === "ustar") return consumeTar(all, x, position);
  const name = singleFileName(x.archive);
  position.current = name;
  x.budget.addEntry(name);
  const entryPath = x.paths.accept(name);
  const meter = meteredEntry(x.failure, (chunk) => x.budget.addBytes(entryPath, chunk.length));
  const feeding = pipeline(all, meter).catch((error: unknown) => x.failure.fail(error));
  await emitEntry(x.failure, x.onEntry, entryPath, meter, null);
  await feeding;
  x.failure.throwIfFailed();
}

/**
 * tar, tar.gz, tar.bz2 and bz2: streamed, never spooled. The compression is recognised by its
 * magic bytes rather than trusted from the name, so a `.tgz` a server already unzipped still
 * reads. The expansion ratio is checked on the whole stream, since tar keeps no per-entry
 * compressed size.
 */
async function extractStream(x: Extraction, kind: Exclude<ArchiveKind, "zip">, open: () => Promise<Readable>): Promise<void> {
  const raw = await open();
  // The source's own errors stay as they are: a dropped connection is worth a retry.
  raw.once("error", (error) => x.failure.fail(error));
  const stopRaw = () => raw.destroy();
  x.failure.signal.addEventListener("abort", stopRaw, { once: true });
  const position: TarPosition = { current: null };
  let compressed = 0;
  let expanded = 0;
  async function* countCompressed(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      compressed += chunk.length;
      yield chunk;
    }
  }
  async function* checkRatio(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      expanded += chunk.length;
      if (!x.budget.ratioAllows(expanded, compressed)) {
        x.failure.fail(x.budget.tooCompressed(position.current ?? x.archive));
        x.failure.throwIfFailed();
      }
      yield chunk;
    }
  }
  const consume = (source: AsyncIterable<Buffer>) =>
    kind === "bz2" ? consumeBzip2Content(source, x, position) : consumeTar(source, x, position);
  const options = { signal: x.failure.signal };

  try {
    const { head, all } = await peek(raw, 3);
    const gzip = head[0] === 0x1f && head[1] === 0x8b;
    const bzip2 = head.toString("latin1") === "BZh";
    if (kind === "bz2" && !bzip2) {
      throw damaged(x.archive, x.format, new Error("it does not start with the bzip2 signature 'BZh'"));
    }
    if (gzip) {
      // 256 KiB out per chunk rather than zlib's 16 KiB: each chunk crosses several stages
      // (ratio check, tar parser, entry, blob store), so fewer, larger ones cost far less.
      const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES });
      gunzip.once("error", (error) => x.failure.fail(damaged(x.archive, x.format, error)));
      await pipeline(all, countCompressed, gunzip, checkRatio, consume, options);
    } else if (bzip2) {
      const decode = (source: AsyncIterable<Buffer>) => bunzip2(source, (error) => damaged(x.archive, x.format, error), x.failure);
      await pipeline(all, countCompressed, decode, checkRatio, consume, options);
    } else {
      await pipeline(all, consume, options);
    }
  } finally {
    x.failure.signal.removeEventListener("abort", stopRaw);
    raw.destroy();
  }
}

/**
 * Streams each regular file entry of the archive to `onEntry`, one at a time, in archive order.
 * `onEntry` must consume the stream fully (it stores it into the blob store and may throw).
 * Throws PermanentSourceError naming the entry for any refused entry or limit; on throw, nothing more is emitted.
 * Errors of `open`'s stream and of `onEntry` are rethrown as they are (they may be worth a retry).
 * Resolves with the number of files emitted and their total size.
 */
export async function extractArchive(opts: {
  name: string;
  open: () => Promise<Readable>;
  scratchDir: string;
  limits: ArchiveLimits;
  onEntry: OnEntry;
  signal?: AbortSignal;
}): Promise<{ entries: number; bytes: number }> {
  const kind = archiveKind(opts.name);
  if (!kind) {
    throw new PermanentSourceError(`${opts.name} is not an archive Cairn extracts (.zip, .tar, .tar.gz, .tgz, .tar.bz2, .bz2).`);
  }
  opts.signal?.throwIfAborted();
  const failure = new Failure();
  const onAbort = () => failure.fail(opts.signal?.reason);
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  let files = 0;
  const x: Extraction = {
    archive: opts.name,
    format: FORMAT_NAMES[kind],
    budget: new ArchiveBudget(opts.name, opts.limits),
    paths: new EntryPaths(opts.name),
    failure,
    onEntry: async (entryPath, stream, size) => {
      await opts.onEntry(entryPath, stream, size);
      files += 1;
    },
  };
  try {
    if (kind === "zip") await extractZip(x, opts.open, opts.scratchDir);
    else await extractStream(x, kind, opts.open);
  } catch (error) {
    failure.fail(error);
  } finally {
    opts.signal?.removeEventListener("abort", onAbort);
  }
  failure.throwIfFailed();
  return { entries: files, bytes: x.budget.bytes };
}
