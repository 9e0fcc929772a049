import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { crc32 } from "node:zlib";
import { openPromise, type Entry, type ZipFile } from "yauzl";
import { FILE_PATH_RULE } from "@/lib/checkpoints/naming";
import { PermanentSourceError } from "@/lib/sources/types";
import { damaged, emitEntry, meteredEntry, shown, type ArchiveLimits, type Extraction } from "./limits";

// Unix file types, from the high 16 bits of a zip entry's external attributes.
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

/** yauzl refuses these names itself, with the name at the end of its message. */
const UNSAFE_NAME = /^(absolute path|invalid relative path|invalid characters in fileName): ([\s\S]*)$/;
const UNSAFE_REASONS: Record<string, string> = {
  "absolute path": "which is absolute",
  "invalid relative path": "which contains '..'",
  "invalid characters in fileName": "which contains a backslash",
};

/**
 * The most bytes a zip within the limits can take: its entries' compressed data (never much
 * more than their expanded size) plus generous room for headers and names. Past this the spool
 * stops, so an endless or huge source cannot fill the scratch disk.
 */
function spoolCap(limits: ArchiveLimits): number {
  return limits.maxTotalBytes + Math.ceil(limits.maxTotalBytes / 100) + (limits.maxEntries + 1) * 4096;
}

async function spool(x: Extraction, open: () => Promise<Readable>, target: string): Promise<void> {
  const cap = spoolCap(x.budget.limits);
  let written = 0;
  const capped = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      written += chunk.length;
      if (written <= cap) return done(null, chunk);
      done(
        new PermanentSourceError(
          `The archive ${x.archive} is larger than any zip within the checkpoint size limit can be (CAIRN_MAX_CHECKPOINT_BYTES).`,
        ),
      );
    },
  });
  const raw = await open();
  try {
    await pipeline(raw, capped, createWriteStream(target), { signal: x.failure.signal });
  } finally {
    raw.destroy();
  }
}

function entryListError(x: Extraction, error: unknown): PermanentSourceError {
  const unsafe = error instanceof Error ? UNSAFE_NAME.exec(error.message) : null;
  if (!unsafe) return damaged(x.archive, x.format, error);
  return new PermanentSourceError(
    `The archive ${x.archive} has an entry with an unsafe path, ${shown(unsafe[2])}, ${UNSAFE_REASONS[unsafe[1]]}. ${FILE_PATH_RULE}`,
  );
}

function damagedEntry(x: Extraction, entryPath: string, cause: unknown): PermanentSourceError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return damaged(x.archive, x.format, `${shown(entryPath)}: ${reason}`);
}

async function extractEntry(x: Extraction, zip: ZipFile, entry: Entry): Promise<void> {
  const name = entry.fileName;
  x.budget.addEntry(name);
  const type = (entry.externalFileAttributes >>> 16) & S_IFMT;
  if (name.endsWith("/") || type === S_IFDIR) return;
  if (type === S_IFLNK) {
    throw new PermanentSourceError(`The archive ${x.archive} contains a symbolic link, ${shown(name)}; archives with links are refused.`);
  }
  if (type !== 0 && type !== S_IFREG) {
    throw new PermanentSourceError(`The archive ${x.archive} contains ${shown(name)}, which is not a regular file; only files and folders are extracted.`);
  }
  const entryPath = x.paths.accept(name);
  if (entry.isEncrypted()) {
    throw new PermanentSourceError(`${shown(entryPath)} in the archive ${x.archive} is encrypted; Cairn cannot extract encrypted zip entries.`);
  }
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
    throw new PermanentSourceError(
      `${shown(entryPath)} in the archive ${x.archive} uses compression method ${entry.compressionMethod}; Cairn extracts stored and deflated zip entries only.`,
    );
  }
  // Both checks use the header's sizes, and the meter below holds the entry to its declared
  // size, so a header that lies about sizes gains nothing: the stream stops where it lied.
  const declared = entry.uncompressedSize;
  if (!x.budget.ratioAllows(declared, entry.compressedSize)) throw x.budget.tooCompressed(entryPath);
  if (x.budget.bytes + declared > x.budget.limits.maxTotalBytes) throw x.budget.tooLarge(entryPath);

  let source: Readable;
  try {
    source = await zip.openReadStreamPromise(entry);
  } catch (error) {
    throw damagedEntry(x, entryPath, error);
  }
  source.once("error", (error) => x.failure.fail(damagedEntry(x, entryPath, error)));
  let seen = 0;
  let crc = 0;
  const meter = meteredEntry(
    x.failure,
    (chunk) => {
      seen += chunk.length;
      if (seen > declared) throw damagedEntry(x, entryPath, `it holds more than the ${declared} bytes its header declares`);
      x.budget.addBytes(entryPath, chunk.length);
      crc = crc32(chunk, crc);
    },
    () => {
      if (seen !== declared) throw damagedEntry(x, entryPath, `it holds ${seen} bytes, its header declares ${declared}`);
      // yauzl does not check CRCs; a flipped bit in a stored entry would otherwise pass.
      if (crc !== entry.crc32) throw damagedEntry(x, entryPath, "its CRC-32 does not match");
    },
  );
  const feeding = pipeline(source, meter).catch((error: unknown) => x.failure.fail(damagedEntry(x, entryPath, error)));
  await emitEntry(x.failure, x.onEntry, entryPath, meter, declared);
  await feeding;
  x.failure.throwIfFailed();
}

/**
 * A zip keeps its directory at the end, so the stream is spooled to a temp file in `scratchDir`
 * (removed afterwards, also on error) and read with yauzl, one entry at a time.
 */
export async function extractZip(x: Extraction, open: () => Promise<Readable>, scratchDir: string): Promise<void> {
  const target = path.join(scratchDir, `archive-${randomUUID()}.zip`);
  let zip: ZipFile | undefined;
  try {
    await spool(x, open, target);
    try {
      zip = await openPromise(target, { lazyEntries: true, validateEntrySizes: true, decodeStrings: true, autoClose: false });
    } catch (error) {
      throw damaged(x.archive, x.format, error);
    }
    // eachEntry() rejects with the zip's errors; this keeps a late one from going unheard.
    zip.on("error", () => {});
    if (zip.entryCount > x.budget.limits.maxEntries) {
      throw new PermanentSourceError(
        `The archive ${x.archive} has more than ${x.budget.limits.maxEntries} entries (CAIRN_MAX_ARCHIVE_ENTRIES): it lists ${zip.entryCount}.`,
      );
    }
    const entries = zip.eachEntry();
    for (;;) {
      let next: IteratorResult<Entry>;
      try {
        next = await entries.next();
      } catch (error) {
        throw entryListError(x, error);
      }
      if (next.done) break;
      await extractEntry(x, zip, next.value);
    }
  } finally {
    zip?.close();
    await rm(target, { force: true });
  }
}
