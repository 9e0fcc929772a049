import { createHash, randomFillSync } from "node:crypto";
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";

// Shared by the benchmarks and the Playwright specs, so nothing here may use import.meta
// (Playwright compiles specs and what they import to CommonJS).

/** Streams `bytes` of random data to `file` (flushed) and returns its SHA-256; constant memory. */
export async function writeRandomFile(file: string, bytes: number): Promise<string> {
  const hash = createHash("sha256");
  const block = Buffer.alloc(4 * 1024 * 1024);
  const handle = await open(file, "w");
  try {
    for (let written = 0; written < bytes; ) {
      const chunk = block.subarray(0, Math.min(block.length, bytes - written));
      randomFillSync(chunk);
      hash.update(chunk);
      await handle.write(chunk);
      written += chunk.length;
    }
    // Flushed now, so no write-back of the file competes with what a benchmark measures later.
    await handle.sync();
  } finally {
    await handle.close();
  }
  return hash.digest("hex");
}

/** SHA-256 (hex) of bytes held in memory. */
export const sha256 = (data: Buffer | Uint8Array | string) => createHash("sha256").update(data).digest("hex");

/** SHA-256 (hex) of a byte stream: a file read, an S3 object's body. */
export async function sha256Of(source: AsyncIterable<Uint8Array>): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of source) hash.update(chunk);
  return hash.digest("hex");
}

export function sha256File(file: string): Promise<string> {
  return sha256Of(createReadStream(file, { highWaterMark: 1024 * 1024 }));
}
