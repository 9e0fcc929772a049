import { Readable } from "node:stream";
import { crc32 } from "node:zlib";
import type { ArchiveEntry } from "./create-tar";

// Layout as in the APPNOTE (6.3) and yazl: local header (sizes deferred to a data descriptor),
// the stored bytes, the descriptor; then the central directory, zip64 records where needed.
const LOCAL_HEADER = 30;
const CENTRAL_HEADER = 46;
const DESCRIPTOR = 16;
const ZIP64_DESCRIPTOR = 24;
const ZIP64_EXTRA = 28;
const EOCD = 22;
const ZIP64_EOCD = 56;
const ZIP64_LOCATOR = 20;
const MAX32 = 0xffffffff;
const FLAGS = (1 << 3) | (1 << 11); // sizes and CRC in a data descriptor; UTF-8 names
const MADE_BY = (3 << 8) | 63; // Unix, spec 6.3
const MODE = (0o100644 << 16) >>> 0;

function dosDateTime(date: Date): { date: number; time: number } {
  const d = date.getUTCFullYear() < 1980 ? new Date(Date.UTC(1980, 0, 1)) : date;
  return {
    date: (d.getUTCDate() & 0x1f) | (((d.getUTCMonth() + 1) & 0xf) << 5) | (((d.getUTCFullYear() - 1980) & 0x7f) << 9),
    time: Math.floor(d.getUTCSeconds() / 2) | ((d.getUTCMinutes() & 0x3f) << 5) | ((d.getUTCHours() & 0x1f) << 11),
  };
}

const needsZip64 = (size: number, offset: number) => size > MAX32 - 1 || offset > MAX32 - 1;

type Placed = { name: Buffer; size: number; offset: number; zip64: boolean };

/** Where every entry lands and how long the whole archive is, known before a byte is read. */
function plan(entries: { path: string; size: number }[]) {
  let offset = 0;
  const placed: Placed[] = entries.map((entry) => {
    const name = Buffer.from(entry.path, "utf8");
    const zip64 = needsZip64(entry.size, offset);
    const item = { name, size: entry.size, offset, zip64 };
    offset += LOCAL_HEADER + name.length + entry.size + (zip64 ? ZIP64_DESCRIPTOR : DESCRIPTOR);
    return item;
  });
  const directoryOffset = offset;
  const directorySize = placed.reduce((sum, p) => sum + CENTRAL_HEADER + p.name.length + (p.zip64 ? ZIP64_EXTRA : 0), 0);
  const zip64End = placed.length >= 0xffff || directorySize >= MAX32 || directoryOffset >= MAX32;
  const total = directoryOffset + directorySize + (zip64End ? ZIP64_EOCD + ZIP64_LOCATOR : 0) + EOCD;
  return { placed, directoryOffset, directorySize, zip64End, total };
}

/** The exact byte length of the zip `zipStream` writes for these entries. */
export function zipSize(entries: { path: string; size: number }[]): number {
  return plan(entries).total;
}

function localHeader(p: Placed, stamp: { date: number; time: number }): Buffer {
  const b = Buffer.alloc(LOCAL_HEADER);
  b.writeUInt32LE(0x04034b50, 0);
  b.writeUInt16LE(p.zip64 ? 45 : 20, 4);
  b.writeUInt16LE(FLAGS, 6);
  b.writeUInt16LE(0, 8); // stored
  b.writeUInt16LE(stamp.time, 10);
  b.writeUInt16LE(stamp.date, 12);
  b.writeUInt16LE(p.name.length, 26);
  return Buffer.concat([b, p.name]);
}

function descriptor(p: Placed, crc: number): Buffer {
  const b = Buffer.alloc(p.zip64 ? ZIP64_DESCRIPTOR : DESCRIPTOR);
  b.writeUInt32LE(0x08074b50, 0);
  b.writeUInt32LE(crc, 4);
  if (p.zip64) {
    b.writeBigUInt64LE(BigInt(p.size), 8);
    b.writeBigUInt64LE(BigInt(p.size), 16);
  } else {
    b.writeUInt32LE(p.size, 8);
    b.writeUInt32LE(p.size, 12);
  }
  return b;
}

function centralHeader(p: Placed, crc: number, stamp: { date: number; time: number }): Buffer {
  const b = Buffer.alloc(CENTRAL_HEADER);
  b.writeUInt32LE(0x02014b50, 0);
  b.writeUInt16LE(MADE_BY, 4);
  b.writeUInt16LE(p.zip64 ? 45 : 20, 6);
  b.writeUInt16LE(FLAGS, 8);
  b.writeUInt16LE(0, 10);
  b.writeUInt16LE(stamp.time, 12);
  b.writeUInt16LE(stamp.date, 14);
  b.writeUInt32LE(crc, 16);
  b.writeUInt32LE(p.zip64 ? MAX32 : p.size, 20);
  b.writeUInt32LE(p.zip64 ? MAX32 : p.size, 24);
  b.writeUInt16LE(p.name.length, 28);
  b.writeUInt16LE(p.zip64 ? ZIP64_EXTRA : 0, 30);
  b.writeUInt32LE(MODE, 38);
  b.writeUInt32LE(p.zip64 ? MAX32 : p.offset, 42);
  if (!p.zip64) return Buffer.concat([b, p.name]);
  const extra = Buffer.alloc(ZIP64_EXTRA);
  extra.writeUInt16LE(0x0001, 0);
  extra.writeUInt16LE(ZIP64_EXTRA - 4, 2);
  extra.writeBigUInt64LE(BigInt(p.size), 4);
  extra.writeBigUInt64LE(BigInt(p.size), 12);
  extra.writeBigUInt64LE(BigInt(p.offset), 20);
  return Buffer.concat([b, p.name, extra]);
}

function endRecords(count: number, directoryOffset: number, directorySize: number, zip64End: boolean): Buffer {
  const eocd = Buffer.alloc(EOCD);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(zip64End ? 0xffff : count, 8);
  eocd.writeUInt16LE(zip64End ? 0xffff : count, 10);
  eocd.writeUInt32LE(zip64End ? MAX32 : directorySize, 12);
  eocd.writeUInt32LE(zip64End ? MAX32 : directoryOffset, 16);
  if (!zip64End) return eocd;
  const record = Buffer.alloc(ZIP64_EOCD);
  record.writeUInt32LE(0x06064b50, 0);
  record.writeBigUInt64LE(BigInt(ZIP64_EOCD - 12), 4);
  record.writeUInt16LE(MADE_BY, 12);
  record.writeUInt16LE(45, 14);
  record.writeBigUInt64LE(BigInt(count), 24);
  record.writeBigUInt64LE(BigInt(count), 32);
  record.writeBigUInt64LE(BigInt(directorySize), 40);
  record.writeBigUInt64LE(BigInt(directoryOffset), 48);
  const locator = Buffer.alloc(ZIP64_LOCATOR);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(directoryOffset + directorySize), 8);
  locator.writeUInt32LE(1, 16);
  return Buffer.concat([record, locator, eocd]);
}

/**
 * A zip of the entries, stored without compression so it streams at disk speed. Each file's
 * CRC-32 (zlib's, native) is computed on the way through and written in a data descriptor after
 * it; zip64 records appear where a size or offset passes 4 GiB. Files are opened one at a time.
 * An entry whose bytes differ from its declared size fails the stream rather than lie.
 */
export function zipStream(entries: ArchiveEntry[], mtime: Date): Readable {
  const { placed, directoryOffset, directorySize, zip64End } = plan(entries);
  const stamp = dosDateTime(mtime);
  async function* generate() {
    const crcs: number[] = [];
    for (const [i, entry] of entries.entries()) {
      const p = placed[i];
      yield localHeader(p, stamp);
      let crc = 0;
      let written = 0;
      for await (const chunk of await entry.open()) {
        const bytes = chunk as Buffer;
        written += bytes.length;
        if (written > entry.size) break;
        crc = crc32(bytes, crc);
        yield bytes;
      }
      if (written !== entry.size) throw new Error(`${entry.path} holds ${written} bytes, not the ${entry.size} recorded.`);
      crcs.push(crc);
      yield descriptor(p, crc);
    }
    yield Buffer.concat(placed.map((p, i) => centralHeader(p, crcs[i] ?? 0, stamp)));
    yield endRecords(placed.length, directoryOffset, directorySize, zip64End);
  }
  return Readable.from(generate(), { objectMode: false });
}
