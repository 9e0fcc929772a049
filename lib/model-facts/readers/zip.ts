import "server-only";
import { ModelFactsProblem, type ByteSource } from "./source";

export type ZipEntry = { name: string; method: number; compressedSize: number; size: number; headerOffset: number };

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** A directory of ~a million entries; each one kept costs memory, and torch writes one per storage. */
const MAX_DIRECTORY = 64 * 1024 * 1024;

/**
 * The central directory of a zip archive (zip64 too), read from the end of the file: one read
 * for the end record, one for the directory. Null when the file is not a zip archive at all.
 */
export async function readZipDirectory(source: ByteSource): Promise<ZipEntry[] | null> {
  if (source.size < 22) return null;
  const tailLength = Math.min(source.size, 22 + 65_535);
  const tail = await source.read(source.size - tailLength, tailLength);
  let at = -1;
  for (let i = tail.length - 22; i >= 0; i -= 1) {
    if (tail.readUInt32LE(i) === EOCD) {
      at = i;
      break;
    }
  }
  if (at < 0) return null;
  let count = tail.readUInt16LE(at + 10);
  let directorySize = tail.readUInt32LE(at + 12);
  let directoryOffset = tail.readUInt32LE(at + 16);
  if (count === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
    const locatorAt = at - 20;
    if (locatorAt < 0 || tail.readUInt32LE(locatorAt) !== ZIP64_LOCATOR) throw new ModelFactsProblem("zip64 archive without its end-of-directory locator");
    const recordOffset = safe(tail.readBigUInt64LE(locatorAt + 8), "zip64 record offset", source.size);
    const record = await source.read(recordOffset, 56);
    if (record.length < 56 || record.readUInt32LE(0) !== ZIP64_EOCD) throw new ModelFactsProblem("zip64 end-of-directory record is missing");
    count = safe(record.readBigUInt64LE(32), "entry count", source.size);
    directorySize = safe(record.readBigUInt64LE(40), "directory size", source.size);
    directoryOffset = safe(record.readBigUInt64LE(48), "directory offset", source.size);
  }
  if (directoryOffset + directorySize > source.size) throw new ModelFactsProblem(`zip directory claims bytes past the end of the file (${source.size} bytes)`);
  if (directorySize > MAX_DIRECTORY) throw new ModelFactsProblem(`zip directory is ${directorySize} bytes, above the ${MAX_DIRECTORY}-byte limit`);
  const directory = await source.read(directoryOffset, directorySize);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i += 1) {
    if (p + 46 > directory.length || directory.readUInt32LE(p) !== CENTRAL) throw new ModelFactsProblem("zip directory entry is cut short or malformed");
    const nameLength = directory.readUInt16LE(p + 28);
    const extraLength = directory.readUInt16LE(p + 30);
    const commentLength = directory.readUInt16LE(p + 32);
    const entry: ZipEntry = {
      method: directory.readUInt16LE(p + 10),
      compressedSize: directory.readUInt32LE(p + 20),
      size: directory.readUInt32LE(p + 24),
      headerOffset: directory.readUInt32LE(p + 42),
      name: directory.toString("utf8", p + 46, p + 46 + nameLength),
    };
    // Zip64 extended information: 64-bit values for the fields saturated above, in this order.
    let e = p + 46 + nameLength;
    const extraEnd = e + extraLength;
    while (e + 4 <= extraEnd) {
      const id = directory.readUInt16LE(e);
      const length = directory.readUInt16LE(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        for (const field of ["size", "compressedSize", "headerOffset"] as const) {
          if (entry[field] === 0xffffffff && q + 8 <= e + 4 + length) {
            entry[field] = safe(directory.readBigUInt64LE(q), field, source.size);
            q += 8;
          }
        }
      }
      e += 4 + length;
    }
    entries.push(entry);
    p = extraEnd + commentLength;
  }
  return entries;
}

/** Where an entry's stored bytes start: after its local header, whose extra field torch pads. */
export async function entryDataOffset(source: ByteSource, entry: ZipEntry): Promise<number> {
  const header = await source.read(entry.headerOffset, 30);
  if (header.length < 30 || header.readUInt32LE(0) !== LOCAL) throw new ModelFactsProblem(`zip entry '${entry.name}' has no local header`);
  const start = entry.headerOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  if (start + entry.compressedSize > source.size) throw new ModelFactsProblem(`zip entry '${entry.name}' ends past the end of the file`);
  return start;
}

/** Local headers closer together than this are read in one go (a state_dict of small tensors: one read). */
const HEADER_SPAN = 1024 * 1024;

/**
 * Where each entry's stored bytes start, reading the local headers of entries that lie close
 * together in one read: a few reads for many small storages, one per storage for large ones.
 */
export async function entryDataOffsets(source: ByteSource, entries: ZipEntry[]): Promise<Map<string, number>> {
  const offsets = new Map<string, number>();
  const sorted = [...entries].sort((a, b) => a.headerOffset - b.headerOffset);
  for (let i = 0; i < sorted.length; ) {
    const first = sorted[i]!;
    let j = i + 1;
    while (j < sorted.length && sorted[j]!.headerOffset + 30 - first.headerOffset <= HEADER_SPAN) j += 1;
    const group = sorted.slice(i, j);
    const span = await source.read(first.headerOffset, group[group.length - 1]!.headerOffset + 30 - first.headerOffset);
    for (const entry of group) {
      const at = entry.headerOffset - first.headerOffset;
      if (at + 30 > span.length || span.readUInt32LE(at) !== LOCAL) throw new ModelFactsProblem(`zip entry '${entry.name}' has no local header`);
      const start = entry.headerOffset + 30 + span.readUInt16LE(at + 26) + span.readUInt16LE(at + 28);
      if (start + entry.compressedSize > source.size) throw new ModelFactsProblem(`zip entry '${entry.name}' ends past the end of the file`);
      offsets.set(entry.name, start);
    }
    i = j;
  }
  return offsets;
}

function safe(value: bigint, what: string, fileSize: number): number {
  if (value > BigInt(fileSize)) throw new ModelFactsProblem(`zip ${what} ${value} is past the end of the file (${fileSize} bytes)`);
  return Number(value);
}
