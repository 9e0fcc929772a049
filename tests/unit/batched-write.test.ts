import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PassThrough, Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { writeBatched } from "@/lib/storage/batched-write";

const dir = mkdtempSync(path.join(os.tmpdir(), "cairn-batched-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Uneven chunks of `bytes`, so batches split chunks at every possible place. */
function chunksOf(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0, n = 1; at < bytes.length; at += n, n = (n * 7 + 3) % 997) out.push(bytes.subarray(at, at + n));
  return out;
}

async function writeTo(file: string, source: Readable | AsyncIterable<Uint8Array>, opts: Parameters<typeof writeBatched>[2] = {}) {
  const handle = await open(file, "w+");
  try {
    return await writeBatched(source, handle, opts);
  } finally {
    await handle.close();
  }
}

describe("writeBatched", () => {
  it("writes a Node stream byte for byte across batch boundaries, seeing every chunk in order", async () => {
    const bytes = randomBytes(200_003);
    const seen: Buffer[] = [];
    const file = path.join(dir, "a");
    const written = await writeTo(file, Readable.from(chunksOf(bytes)), { onChunk: (c) => seen.push(Buffer.from(c)), tuning: { batchBytes: 4096 } });
    expect(written).toBe(bytes.length);
    expect(readFileSync(file).equals(bytes)).toBe(true);
    expect(Buffer.concat(seen).equals(bytes)).toBe(true);
  });

  it("writes thousands of one-byte chunks (more than one writev takes) in order", async () => {
    const bytes = randomBytes(5000);
    const file = path.join(dir, "tiny");
    const written = await writeTo(file, Readable.from([...bytes].map((b) => Buffer.from([b]))));
    expect(written).toBe(bytes.length);
    expect(readFileSync(file).equals(bytes)).toBe(true);
  });

  it("writes an async iterable at a position", async () => {
    const bytes = randomBytes(50_000);
    const file = path.join(dir, "b");
    async function* source() {
      yield* chunksOf(bytes);
    }
    const handle = await open(file, "w+");
    try {
      await handle.write(Buffer.from("head"), 0, 4, 0);
      expect(await writeBatched(source(), handle, { position: 4, tuning: { batchBytes: 1000 } })).toBe(bytes.length);
    } finally {
      await handle.close();
    }
    expect(readFileSync(file).equals(Buffer.concat([Buffer.from("head"), bytes]))).toBe(true);
  });

  it("writes what arrived before the source failed, then rejects with the source's error", async () => {
    const file = path.join(dir, "c");
    const source = new PassThrough();
    const writing = writeTo(file, source, { tuning: { batchBytes: 1 << 20 } });
    source.write(Buffer.alloc(3000, 1));
    setTimeout(() => source.destroy(new Error("connection reset")), 10);
    await expect(writing).rejects.toThrow("connection reset");
    expect(readFileSync(file).length).toBe(3000);
  });

  it("stops when onChunk throws (a limit) and destroys the source", async () => {
    const file = path.join(dir, "d");
    const source = Readable.from(chunksOf(randomBytes(100_000)));
    let total = 0;
    const writing = writeTo(file, source, {
      onChunk: (chunk) => {
        total += chunk.length;
        if (total > 10_000) throw new Error("too large");
      },
    });
    await expect(writing).rejects.toThrow("too large");
    expect(source.destroyed).toBe(true);
  });
});
