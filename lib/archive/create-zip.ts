import type { Readable } from "node:stream";
import { ZipFile } from "yazl";
import type { ArchiveEntry } from "./create-tar";

/**
 * A zip of the entries, stored without compression so it streams at disk speed, each file's
 * CRC-32 computed on the way through and written in a data descriptor after it; zip64 records
 * appear where an entry or offset passes 4 GiB. Files are opened one at a time, when their turn
 * comes. `size` resolves to the archive's exact length before the first byte is sent.
 */
export function zipStream(entries: ArchiveEntry[], mtime: Date): { stream: Readable; size: Promise<number> } {
  const zip = new ZipFile();
  for (const entry of entries) {
    zip.addReadStreamLazy(entry.path, { size: entry.size, compress: false, mtime, mode: 0o100644 }, (callback) => {
      entry.open().then(
        (stream) => callback(null, stream),
        (error: unknown) => callback(error, undefined as unknown as Readable),
      );
    });
  }
  const size = new Promise<number>((resolve) => {
    // yazl passes the total to this callback; its typings omit the argument.
    const onTotal = (total: number) => resolve(total);
    zip.end(undefined, onTotal as () => void);
  });
  const stream = zip.outputStream as Readable;
  zip.on("error", (error: Error) => stream.destroy(error));
  return { stream, size };
}
