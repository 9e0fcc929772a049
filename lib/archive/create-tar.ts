import { Readable } from "node:stream";

/** One file of an archive being written: its path inside the archive, its exact size, and its bytes. */
export type ArchiveEntry = { path: string; size: number; open(): Promise<Readable> };

const BLOCK = 512;
// Eleven octal digits: the largest size and the longest name a plain ustar header can hold.
const USTAR_MAX_SIZE = 0o77777777777;
const USTAR_NAME = 100;
const USTAR_PREFIX = 155;

const padding = (size: number) => (BLOCK - (size % BLOCK)) % BLOCK;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, "0") + "\0";
}

/** Splits a path into ustar's prefix and name fields, or null when it does not fit (then pax carries it). */
function ustarSplit(path: string): { name: string; prefix: string } | null {
  if (!/^[\x20-\x7e]*$/.test(path)) return null;
  if (path.length <= USTAR_NAME) return { name: path, prefix: "" };
  for (let at = path.indexOf("/"); at !== -1; at = path.indexOf("/", at + 1)) {
    const prefix = path.slice(0, at);
    const name = path.slice(at + 1);
    if (prefix.length <= USTAR_PREFIX && name.length <= USTAR_NAME && name.length > 0) return { name, prefix };
  }
  return null;
}

function header(fields: { name: string; prefix: string; size: number; mtime: number; type: "0" | "x" }): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(fields.name, 0, USTAR_NAME, "utf8");
  block.write(octal(0o644, 8), 100, "ascii");
  block.write(octal(0, 8), 108, "ascii");
  block.write(octal(0, 8), 116, "ascii");
  block.write(octal(fields.size, 12), 124, "ascii");
  block.write(octal(fields.mtime, 12), 136, "ascii");
  block.write("        ", 148, "ascii");
  block.write(fields.type, 156, "ascii");
  block.write("ustar\0", 257, "ascii");
  block.write("00", 263, "ascii");
  block.write(fields.prefix, 345, USTAR_PREFIX, "utf8");
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(octal(sum, 7) + " ", 148, "ascii");
  return block;
}

/** A pax record `"<len> key=value\n"`, whose length counts its own digits. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLength = Buffer.byteLength(body);
  let length = bodyLength + String(bodyLength).length;
  if (String(length).length !== String(length - bodyLength).length) length = bodyLength + String(length).length;
  return `${length}${body}`;
}

/** The header blocks of one entry: a pax extended header when the path or size does not fit ustar. */
export function tarEntryHeader(entry: { path: string; size: number }, mtime: number): Buffer {
  const split = ustarSplit(entry.path);
  const bigSize = entry.size > USTAR_MAX_SIZE;
  const plain = header({
    name: split?.name ?? entry.path.replace(/[^\x20-\x7e]/g, "_").slice(-USTAR_NAME),
    prefix: split?.prefix ?? "",
    size: bigSize ? 0 : entry.size,
    mtime,
    type: "0",
  });
  if (split && !bigSize) return plain;
  const records = Buffer.from((split ? "" : paxRecord("path", entry.path)) + (bigSize ? paxRecord("size", String(entry.size)) : ""));
  const paxHeader = header({ name: `PaxHeader/${plain.toString("utf8", 0, 90).replace(/\0+$/, "")}`, prefix: "", size: records.length, mtime, type: "x" });
  return Buffer.concat([paxHeader, records, Buffer.alloc(padding(records.length)), plain]);
}

/** The exact byte length of the tar `tarStream` writes for these entries. */
export function tarSize(entries: { path: string; size: number }[], mtime: number): number {
  let total = 2 * BLOCK;
  for (const entry of entries) total += tarEntryHeader(entry, mtime).length + entry.size + padding(entry.size);
  return total;
}

/**
 * A POSIX tar (ustar, pax for long paths and sizes over 8 GiB) of the entries, streamed one
 * file at a time: nothing is buffered beyond the stream's own chunks. An entry whose bytes
 * differ from its declared size fails the stream rather than write a corrupt archive.
 */
export function tarStream(entries: ArchiveEntry[], mtime: number): Readable {
  async function* generate() {
    for (const entry of entries) {
      yield tarEntryHeader(entry, mtime);
      let written = 0;
      for await (const chunk of await entry.open()) {
        written += (chunk as Buffer).length;
        if (written > entry.size) break;
        yield chunk as Buffer;
      }
      if (written !== entry.size) throw new Error(`${entry.path} holds ${written} bytes, not the ${entry.size} recorded.`);
      const pad = padding(entry.size);
      if (pad) yield Buffer.alloc(pad);
    }
    yield Buffer.alloc(2 * BLOCK);
  }
  return Readable.from(generate(), { objectMode: false });
}
