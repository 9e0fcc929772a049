import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FsBlobStore } from "@/lib/storage/fs-store";
import { S3BlobStore } from "@/lib/storage/s3-store";
import { BlobTooLargeError, type BlobStore } from "@/lib/storage/types";
import { sha256 } from "../helpers/files";

// s3rver ships no types; this is the slice of its API the suite uses.
type S3rverOptions = {
  port: number;
  address: string;
  silent: boolean;
  directory: string;
  configureBuckets: { name: string }[];
};
type S3rverServer = { run(): Promise<{ port: number }>; close(): Promise<void> };
const S3rver = createRequire(import.meta.url)("s3rver") as new (options: S3rverOptions) => S3rverServer;

const MiB = 1024 ** 2;

/** A fresh, empty store, and every file or object key it holds, to prove nothing is left behind. */
type Fixture = { store: BlobStore; stored(): Promise<string[]> };
type Driver = { name: string; start(scratch: string): Promise<{ fresh(): Promise<Fixture>; stop(): Promise<void> }> };

const drivers: Driver[] = [
  {
    name: "fs",
    async start(scratch) {
      return {
        async fresh() {
          const root = await mkdtemp(path.join(scratch, "fs-"));
          const stored = async () =>
            (await readdir(root, { recursive: true, withFileTypes: true }))
              .filter((entry) => entry.isFile())
              .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)));
          return { store: new FsBlobStore(root), stored };
        },
        async stop() {},
      };
    },
  },
  {
    name: "s3",
    async start(scratch) {
      const server = new S3rver({
        port: 0,
        address: "127.0.0.1",
        silent: true,
        directory: await mkdtemp(path.join(scratch, "s3rver-")),
        configureBuckets: [{ name: "cairn-test" }],
      });
      const { port } = await server.run();
      const client = new S3Client({
        endpoint: `http://127.0.0.1:${port}`,
        region: "us-east-1",
        forcePathStyle: true,
        credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
        // As the store configures itself for any custom endpoint.
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED",
      });
      let buckets = 0;
      return {
        async fresh() {
          const bucket = `cairn-test-${++buckets}`;
          await client.send(new CreateBucketCommand({ Bucket: bucket }));
          const store = new S3BlobStore({
            bucket,
            forcePathStyle: true,
            region: "us-east-1",
            stagingDir: path.join(scratch, "staging"),
            client,
          });
          const stored = async () => {
            const listing = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
            return (listing.Contents ?? []).map((object) => object.Key ?? "");
          };
          return { store, stored };
        },
        async stop() {
          client.destroy();
          await server.close();
        },
      };
    },
  },
];

async function readAll(stream: Readable): Promise<Buffer> {
  return Buffer.concat(await stream.toArray());
}

async function hashStream(stream: AsyncIterable<Uint8Array>): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest("hex"), size };
}

/** Deterministic pseudo-random bytes (xorshift32), produced 1 MiB at a time so no test holds them all. */
async function* pseudoRandomBytes(totalBytes: number, seed = 0x2545f491): AsyncGenerator<Uint8Array> {
  let state = seed;
  for (let offset = 0; offset < totalBytes; offset += MiB) {
    const words = new Uint32Array(Math.ceil(Math.min(MiB, totalBytes - offset) / 4));
    for (let i = 0; i < words.length; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      words[i] = state >>> 0;
    }
    yield new Uint8Array(words.buffer, 0, Math.min(MiB, totalBytes - offset));
  }
}

describe.each(drivers)("$name blob store", (driver) => {
  let scratch: string;
  let server: Awaited<ReturnType<Driver["start"]>>;

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), "cairn-blob-store-"));
    server = await driver.start(scratch);
  });

  afterAll(async () => {
    await server?.stop();
    await rm(scratch, { recursive: true, force: true });
  });

  const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7) % 256));

  it("returns the sha256 and size of the bytes it stored", async () => {
    const { store } = await server.fresh();
    let reported = 0;
    const blob = await store.put(Readable.from(bytes), { onBytes: (n) => (reported += n) });
    expect(blob).toEqual({ sha256: sha256(bytes), size: bytes.length });
    expect(reported).toBe(bytes.length);
    expect(await readAll(await store.get(blob.sha256))).toEqual(bytes);
  });

  it("write resolves once the bytes are in, and names the blob only when durable settles", async () => {
    const { store, stored } = await server.fresh();
    const { blob, durable } = await store.write(Readable.from(bytes));
    expect(blob).toEqual({ sha256: sha256(bytes), size: bytes.length });
    await durable;
    expect(await store.has(blob.sha256)).toBe(true);
    expect(await stored()).toEqual([expect.stringMatching(new RegExp(`${blob.sha256}$`))]);
    expect(await readAll(await store.get(blob.sha256))).toEqual(bytes);
    // A second write of the same bytes settles as the first one's copy and is dropped.
    const again = await store.write(Readable.from(bytes));
    await again.durable;
    expect(again.blob).toEqual(blob);
    expect(await stored()).toHaveLength(1);
  });

  it("stores an empty blob", async () => {
    const { store } = await server.fresh();
    const blob = await store.put(Readable.from([]));
    expect(blob).toEqual({ sha256: sha256(Buffer.alloc(0)), size: 0 });
    expect((await readAll(await store.get(blob.sha256))).length).toBe(0);
  });

  it("stores identical content once", async () => {
    const { store, stored } = await server.fresh();
    const first = await store.put(Readable.from(bytes));
    const second = await store.put(Readable.from(bytes));
    const [third, fourth] = await Promise.all([store.put(Readable.from(bytes)), store.put(Readable.from(bytes))]);
    expect([second, third, fourth]).toEqual([first, first, first]);
    expect(await store.has(first.sha256)).toBe(true);
    expect(await stored()).toEqual([expect.stringMatching(new RegExp(`${first.sha256}$`))]);
  });

  it("rejects a stream past maxBytes and leaves nothing behind", async () => {
    const { store, stored } = await server.fresh();
    await expect(store.put(Readable.from(bytes), { maxBytes: 999 })).rejects.toBeInstanceOf(BlobTooLargeError);
    expect(await store.has(sha256(bytes))).toBe(false);
    expect(await stored()).toEqual([]);
  });

  it("rejects past maxBytes after parts were already sent, with the original error", async () => {
    const { store, stored } = await server.fresh();
    const oversized = store.put(pseudoRandomBytes(40 * MiB), { maxBytes: 20 * MiB });
    await expect(oversized).rejects.toBeInstanceOf(BlobTooLargeError);
    expect(await stored()).toEqual([]);
  });

  it("rejects with the source's own error when the source breaks, and leaves nothing behind", async () => {
    const { store, stored } = await server.fresh();
    async function* breaksAfter20MiB(): AsyncGenerator<Uint8Array> {
      yield* pseudoRandomBytes(20 * MiB);
      throw new Error("source broke");
    }
    await expect(store.put(breaksAfter20MiB())).rejects.toThrow("source broke");
    expect(await stored()).toEqual([]);
  });

  it("reads back exactly the requested inclusive range", async () => {
    const { store } = await server.fresh();
    const { sha256 } = await store.put(Readable.from(bytes));
    expect(await readAll(await store.get(sha256, { start: 10, end: 19 }))).toEqual(bytes.subarray(10, 20));
    expect(await readAll(await store.get(sha256, { start: 999, end: 999 }))).toEqual(bytes.subarray(999));
  });

  it("consumes the file given to putFile and serves it byte for byte", async () => {
    const { store, stored } = await server.fresh();
    const file = path.join(scratch, "checkpoint.bin");
    await writeFile(file, bytes);
    expect(await store.putFile(file)).toEqual({ sha256: sha256(bytes), size: bytes.length });
    await expect(stat(file)).rejects.toMatchObject({ code: "ENOENT" });
    expect(await readAll(await store.get(sha256(bytes)))).toEqual(bytes);

    // The same bytes again, with the hash already known: still consumed, still stored once.
    await writeFile(file, bytes);
    expect(await store.putFile(file, { sha256: sha256(bytes) })).toEqual({ sha256: sha256(bytes), size: 1000 });
    await expect(stat(file)).rejects.toMatchObject({ code: "ENOENT" });
    expect(await stored()).toHaveLength(1);
  });

  it("deletes a blob", async () => {
    const { store, stored } = await server.fresh();
    const { sha256 } = await store.put(Readable.from(bytes));
    await store.delete(sha256);
    expect(await store.has(sha256)).toBe(false);
    await expect(store.get(sha256)).rejects.toThrow();
    expect(await stored()).toEqual([]);
  });

  it("rejects keys that are not a sha256", async () => {
    const { store } = await server.fresh();
    expect(await store.has("../etc/passwd")).toBe(false);
    await expect(store.get("ABC")).rejects.toThrow(/not a sha256/);
    await expect(store.putFile(path.join(scratch, "missing"), { sha256: "nope" })).rejects.toThrow();
  });

  it("round-trips a multi-part sized stream", async () => {
    const { store, stored } = await server.fresh();
    const size = 40 * MiB + 123;
    const expected = await hashStream(pseudoRandomBytes(size));
    expect(await store.put(pseudoRandomBytes(size))).toEqual(expected);
    expect(await hashStream(await store.get(expected.sha256))).toEqual(expected);
    expect(await stored()).toEqual([expect.stringMatching(new RegExp(`${expected.sha256}$`))]);
  });
});
