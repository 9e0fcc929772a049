import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSafetensors, readSafetensorsIndex } from "@/lib/model-facts/readers/safetensors";
import { fileSource, ModelFactsProblem, type ByteSource } from "@/lib/model-facts/readers/source";
import { digestTensors } from "@/lib/model-facts/tensor-digest";

const ITEM_BYTES: Record<string, number> = { F32: 4, BF16: 2, F16: 2, I64: 8, U8: 1 };
const sha = (data: Buffer) => createHash("sha256").update(data).digest("hex");
const u64 = (n: number | bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};

/** What the spec says: u64 LE header length N, N bytes of JSON (dtype, shape, data_offsets), then the data. */
function safetensors(tensors: [string, string, number[]][], metadata?: Record<string, string>): Buffer {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const [name, dtype, shape] of tensors) {
    const size = shape.reduce((a, b) => a * b, 1) * ITEM_BYTES[dtype]!;
    header[name] = { dtype, shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  // The spec lets writers pad the header with spaces to align the data; do so to 8 bytes.
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (json.length % 8)) % 8);
  const data = Buffer.alloc(offset);
  for (let i = 0; i < data.length; i += 1) data[i] = (i * 131 + 7) % 256;
  return Buffer.concat([u64(json.length), Buffer.from(json), data]);
}

/** A header written by hand: any JSON, with the claimed length, then `dataBytes` of data. */
function rawHeader(json: string, dataBytes = 0, claimed?: number | bigint): Buffer {
  return Buffer.concat([u64(claimed ?? Buffer.byteLength(json)), Buffer.from(json), Buffer.alloc(dataBytes)]);
}

/** A source over bytes that records every read, to prove that only the header was asked for. */
function recordingSource(data: Buffer) {
  const reads: { offset: number; length: number }[] = [];
  const source: ByteSource = {
    size: data.length,
    read: async (offset, length) => {
      reads.push({ offset, length });
      return data.subarray(offset, offset + length);
    },
  };
  return { source, reads };
}

/** A 2 GB "file" of zeros that is never there: any read past its first bytes fails the test. */
function hugeSource(head: Buffer): ByteSource {
  return {
    size: 2_000_000_000,
    read: async (offset, length) => {
      if (offset + length > 64) throw new Error(`read ${length} bytes at ${offset}: the reader believed a header claim`);
      return Buffer.concat([head, Buffer.alloc(64)]).subarray(offset, offset + length);
    },
  };
}

const problem = async (file: Buffer | ByteSource) => {
  const source = Buffer.isBuffer(file) ? recordingSource(file).source : file;
  const error = await readSafetensors(source).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelFactsProblem);
  return (error as Error).message;
};

describe("safetensors header reader", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "cairn-safetensors-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads tensors, shapes, dtypes, exact parameter counts and __metadata__ from the header alone", async () => {
    const file = safetensors(
      [
        ["model.embed_tokens.weight", "BF16", [32, 16]],
        ["model.layers.0.mlp.up_proj.weight", "F32", [24, 16]],
        ["model.norm.weight", "F16", [16]],
        ["step", "I64", []],
      ],
      { format: "pt", note: "written by the test" },
    );
    const target = path.join(dir, "model.safetensors");
    writeFileSync(target, file);
    const { source, reads } = recordingSource(file);
    const reading = await readSafetensors(source);

    expect(reading.format).toBe("safetensors");
    expect(reading.metadata).toEqual({ format: "pt", note: "written by the test" });
    expect(reading.tensors.map((t) => [t.name, t.dtype, t.shape, t.parameters])).toEqual([
      ["model.embed_tokens.weight", "BF16", [32, 16], 512],
      ["model.layers.0.mlp.up_proj.weight", "F32", [24, 16], 384],
      ["model.norm.weight", "F16", [16], 16],
      ["step", "I64", [], 1],
    ]);
    expect(reading.tensors.reduce((sum, t) => sum + t.parameters, 0)).toBe(913);
    // Two reads, both inside the header: the 8-byte length and the JSON.
    const headerEnd = 8 + Number(file.readBigUInt64LE(0));
    expect(reads).toEqual([
      { offset: 0, length: 8 },
      { offset: 8, length: headerEnd - 8 },
    ]);

    // Ranges are absolute; a file source over the real file hashes the same bytes as Buffer.subarray.
    expect(reading.tensors.map((t) => t.range)).toEqual([
      { offset: headerEnd, length: 1024 },
      { offset: headerEnd + 1024, length: 1536 },
      { offset: headerEnd + 2560, length: 32 },
      { offset: headerEnd + 2592, length: 8 },
    ]);
    const digests = await digestTensors(fileSource(target, file.length), reading.tensors);
    expect(digests).toEqual(Object.fromEntries(reading.tensors.map((t) => [t.name, sha(file.subarray(t.range!.offset, t.range!.offset + t.range!.length))])));
  });

  it("hashes a tensor larger than a read chunk in pieces, to the same digest", async () => {
    const file = safetensors([["w", "F32", [3, 1024, 1024]]]);
    const { source, reads } = recordingSource(file);
    const reading = await readSafetensors(source);
    reads.length = 0;
    const digests = await digestTensors(source, reading.tensors);
    const { offset, length } = reading.tensors[0]!.range!;
    expect(digests.w).toBe(sha(file.subarray(offset, offset + length)));
    expect(reads.length).toBeGreaterThan(1);
    expect(Math.max(...reads.map((r) => r.length))).toBeLessThanOrEqual(8 * 1024 * 1024);
  });

  it("reads a sharded checkpoint through model.safetensors.index.json", async () => {
    const shard1 = safetensors([
      ["a.weight", "F32", [4, 4]],
      ["a.bias", "F32", [4]],
    ]);
    const shard2 = safetensors([["b.weight", "BF16", [2, 4]]]);
    const index = Buffer.from(
      JSON.stringify({
        metadata: { total_size: 16 * 4 + 4 * 4 + 8 * 2 },
        weight_map: { "a.weight": "model-00001-of-00002.safetensors", "a.bias": "model-00001-of-00002.safetensors", "b.weight": "model-00002-of-00002.safetensors" },
      }),
    );
    const parsed = await readSafetensorsIndex(recordingSource(index).source);
    expect(parsed.shards).toEqual(["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]);
    expect(parsed.totalSize).toBe(96);

    const readings = await Promise.all([shard1, shard2].map((s) => readSafetensors(recordingSource(s).source)));
    const names = readings.flatMap((r) => r.tensors.map((t) => t.name));
    expect(names.sort()).toEqual(Object.keys(parsed.weightMap).sort());
    expect(readings.flatMap((r) => r.tensors).reduce((sum, t) => sum + t.parameters, 0)).toBe(28);
    expect(readings.flatMap((r) => r.tensors).reduce((sum, t) => sum + t.range!.length, 0)).toBe(parsed.totalSize);
  });

  it.each([
    ["a weight_map that is not names to files", JSON.stringify({ weight_map: { a: 3 } }), /weight_map entry 'a' is not a file name/],
    ["a shard path that leaves the folder", JSON.stringify({ weight_map: { a: "../secrets.safetensors" } }), /weight_map entry 'a' names '..\/secrets.safetensors'/],
    ["a nesting bomb", `{"weight_map":${"[".repeat(50_000)}`, /nested 50001 levels deep/],
    ["no weight_map", JSON.stringify({ metadata: {} }), /has no weight_map/],
  ])("refuses an index with %s", async (_, json, message) => {
    const error = await readSafetensorsIndex(recordingSource(Buffer.from(json)).source).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFactsProblem);
    expect((error as Error).message).toMatch(message);
  });

  describe("hostile headers are clear problems, read within bounds", () => {
    it("a header length past the end of the file", async () => {
      const file = rawHeader("{}", 802, 1_000_000_000);
      expect(file.length).toBe(812);
      expect(await problem(file)).toBe("header length 1000000000 is past the end of the file (812 bytes)");
    });

    it("a 1 GB header claim in a file that is big enough, without reading it", async () => {
      expect(await problem(hugeSource(u64(1_000_000_000)))).toBe("header length 1000000000 is above the 104857600-byte limit");
    });

    it("a header length that does not fit 64 bits of sense", async () => {
      expect(await problem(hugeSource(u64(0xffffffffffffffffn)))).toBe("header length 18446744073709551615 is past the end of the file (2000000000 bytes)");
    });

    it("a file shorter than the length field", async () => {
      expect(await problem(Buffer.from([1, 2, 3]))).toBe("is 3 bytes, shorter than a safetensors header length (8 bytes)");
    });

    it("a JSON nesting bomb of arrays 100,000 deep", async () => {
      expect(await problem(rawHeader(`{"a":${"[".repeat(100_000)}${"]".repeat(100_000)}}`))).toBe("header JSON is nested 100001 levels deep; a safetensors header has 3");
    });

    it("a JSON nesting bomb of objects that never closes", async () => {
      expect(await problem(rawHeader('{"a":'.repeat(100_000)))).toMatch(/^header JSON is nested 100000 levels deep/);
    });

    it("brackets inside strings do not count as nesting", async () => {
      const file = rawHeader(JSON.stringify({ __metadata__: { note: "[[[[{{{{\\\"" }, t: { dtype: "U8", shape: [2], data_offsets: [0, 2] } }), 2);
      const reading = await readSafetensors(recordingSource(file).source);
      expect(reading.tensors.map((t) => t.name)).toEqual(["t"]);
    });

    it.each([
      ["offsets outside the data", { w: { dtype: "F32", shape: [4], data_offsets: [0, 16] } }, 8, "tensor 'w' claims bytes 0–16, outside the 8 bytes of data"],
      ["offsets that end before they begin", { w: { dtype: "U8", shape: [0], data_offsets: [4, 2] } }, 8, "tensor 'w' claims bytes 4–2, outside the 8 bytes of data"],
      ["a size that is not its shape's", { w: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, 8, "tensor 'w' (F32 [3]) needs 12 bytes but spans 8"],
      [
        "two tensors over the same bytes",
        { a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [2], data_offsets: [4, 12] } },
        12,
        "tensors 'a' (bytes 0–8) and 'b' (bytes 4–12) overlap",
      ],
      ["a negative dimension", { w: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, 4, "tensor 'w' has no valid dtype, shape and data_offsets"],
      ["a dtype that is not a name", { w: { dtype: 7, shape: [1], data_offsets: [0, 4] } }, 4, "tensor 'w' has no valid dtype, shape and data_offsets"],
      ["non-string metadata", { __metadata__: { a: { b: 1 } } }, 0, "__metadata__ 'a' is not a string"],
    ])("%s", async (_, header, dataBytes, message) => {
      expect(await problem(rawHeader(JSON.stringify(header), dataBytes))).toBe(message);
    });

    it("a header that is not a JSON object", async () => {
      expect(await problem(rawHeader("[1, 2]"))).toBe("header is not a JSON object");
      expect(await problem(rawHeader("{nope"))).toMatch(/^header is not valid JSON/);
    });
  });
});
