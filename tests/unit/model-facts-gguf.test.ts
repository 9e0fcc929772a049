import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { gguf, GGMLFileQuantizationType, GGMLQuantizationType, GGUFValueType, serializeGgufMetadata, type GGUFTypedMetadata } from "@huggingface/gguf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FILE_TYPES, GGML_TYPES, readGguf } from "@/lib/model-facts/readers/gguf";
import { fileSource, ModelFactsProblem, type ByteSource } from "@/lib/model-facts/readers/source";
import { digestTensors } from "@/lib/model-facts/tensor-digest";

const sha = (data: Buffer) => createHash("sha256").update(data).digest("hex");
const ALIGNMENT = 64;

/** Little-endian GGUF fields, appended in order. */
class Writer {
  parts: Buffer[] = [];
  private put(size: number, write: (b: Buffer) => void) {
    const b = Buffer.alloc(size);
    write(b);
    this.parts.push(b);
    return this;
  }
  u32 = (n: number) => this.put(4, (b) => b.writeUInt32LE(n));
  u64 = (n: number | bigint) => this.put(8, (b) => b.writeBigUInt64LE(BigInt(n)));
  str = (s: string) => {
    this.u64(Buffer.byteLength(s));
    this.parts.push(Buffer.from(s));
    return this;
  };
  raw = (b: Buffer | Uint8Array) => {
    this.parts.push(Buffer.from(b));
    return this;
  };
  done = () => Buffer.concat(this.parts);
}

type Tensor = { name: string; dims: number[]; type: GGMLQuantizationType; bytes: number };
const TENSORS: Tensor[] = [
  { name: "token_embd.weight", dims: [64, 32], type: GGMLQuantizationType.F32, bytes: 64 * 32 * 4 },
  { name: "blk.0.attn_q.weight", dims: [256, 8], type: GGMLQuantizationType.Q4_K, bytes: 8 * 144 },
  { name: "blk.0.ffn_down.weight", dims: [256, 4], type: GGMLQuantizationType.Q6_K, bytes: 4 * 210 },
  { name: "output_norm.weight", dims: [64], type: GGMLQuantizationType.F16, bytes: 64 * 2 },
];

/**
 * A GGUF v3 file whose metadata section is serialized by @huggingface/gguf itself; the tensor infos
 * and the aligned data section follow the spec (offsets relative to the data start, each aligned).
 */
function ggufFile(tensors = TENSORS): Buffer {
  const tokens = Array.from({ length: 1000 }, (_, i) => `tok${i}`);
  const metadata = {
    version: { value: 3, type: GGUFValueType.UINT32 },
    tensor_count: { value: BigInt(tensors.length), type: GGUFValueType.UINT64 },
    kv_count: { value: 0n, type: GGUFValueType.UINT64 },
    "general.architecture": { value: "llama", type: GGUFValueType.STRING },
    "general.name": { value: "tiny-llama", type: GGUFValueType.STRING },
    "general.file_type": { value: GGMLFileQuantizationType.Q4_K_M, type: GGUFValueType.UINT32 },
    "general.alignment": { value: ALIGNMENT, type: GGUFValueType.UINT32 },
    "llama.context_length": { value: 2048, type: GGUFValueType.UINT32 },
    "llama.rope.freq_base": { value: 10000, type: GGUFValueType.FLOAT32 },
    "general.quantization_version": { value: 2, type: GGUFValueType.UINT32 },
    "tokenizer.ggml.model": { value: "gpt2", type: GGUFValueType.STRING },
    "tokenizer.ggml.tokens": { value: tokens, type: GGUFValueType.ARRAY, subType: GGUFValueType.STRING },
    "tokenizer.ggml.scores": { value: tokens.map((_, i) => i / 10), type: GGUFValueType.ARRAY, subType: GGUFValueType.FLOAT32 },
    "tokenizer.ggml.add_bos_token": { value: true, type: GGUFValueType.BOOL },
  } as unknown as GGUFTypedMetadata;
  const w = new Writer().raw(serializeGgufMetadata(metadata, { alignment: 1 }));
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    w.str(t.name).u32(t.dims.length);
    for (const d of t.dims) w.u64(d);
    w.u32(t.type).u64(offset);
    offsets.push(offset);
    offset += Math.ceil(t.bytes / ALIGNMENT) * ALIGNMENT;
  }
  const header = w.done();
  const dataStart = Math.ceil(header.length / ALIGNMENT) * ALIGNMENT;
  const file = Buffer.alloc(dataStart + offset);
  header.copy(file);
  for (let i = dataStart; i < file.length; i += 1) file[i] = (i * 37 + 11) % 256;
  return file;
}

const bufferSource = (data: Buffer): ByteSource => ({ size: data.length, read: async (offset, length) => data.subarray(offset, offset + length) });

async function problem(data: Buffer): Promise<string> {
  const error = await readGguf(bufferSource(data)).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelFactsProblem);
  return (error as Error).message;
}

/** The start of a GGUF v3 header: magic, version, counts. */
const start = (tensors: number | bigint, kvs: number | bigint) => new Writer().raw(Buffer.from("GGUF")).u32(3).u64(tensors).u64(kvs);

describe("GGUF header reader", () => {
  let dir: string;
  let file: Buffer;
  let target: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "cairn-gguf-"));
    file = ggufFile();
    target = path.join(dir, "tiny-Q4_K_M.gguf");
    writeFileSync(target, file);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads architecture, quantization, tensors and exact parameters, as @huggingface/gguf parses the same file", async () => {
    const reads: number[] = [];
    const source = fileSource(target, file.length);
    const reading = await readGguf({ size: source.size, read: (offset, length) => (reads.push(length), source.read(offset, length)) });
    expect(reading.format).toBe("gguf");
    expect(reading.metadata).toMatchObject({ architecture: "llama", name: "tiny-llama", quantization: "Q4_K_M", tokenizer: true, contextLength: 2048, version: 3 });
    expect(reading.tensors.map((t) => [t.name, t.dtype, t.shape, t.parameters])).toEqual([
      ["token_embd.weight", "F32", [32, 64], 2048],
      ["blk.0.attn_q.weight", "Q4_K", [8, 256], 2048],
      ["blk.0.ffn_down.weight", "Q6_K", [4, 256], 1024],
      ["output_norm.weight", "F16", [64], 64],
    ]);
    expect(reads.length).toBeLessThanOrEqual(2);

    const reference = await gguf(target, { allowLocalFile: true, computeParametersCount: true });
    expect(reading.tensors.reduce((sum, t) => sum + t.parameters, 0)).toBe(reference.parameterCount);
    expect(reference.parameterCount).toBe(5184);
    expect(reference.metadata["general.architecture"]).toBe("llama");
    expect((reference.metadata as Record<string, unknown>)["general.file_type"]).toBe(GGMLFileQuantizationType.Q4_K_M);
    const dataStart = Number(reference.tensorDataOffset);
    expect(reading.tensors.map((t) => t.range?.offset)).toEqual(reference.tensorInfos.map((t) => dataStart + Number(t.offset)));
    expect(reading.tensors.map((t) => t.range?.length)).toEqual(TENSORS.map((t) => t.bytes));
    expect(reading.tensors.map((t) => t.dtype)).toEqual(reference.tensorInfos.map((t) => GGMLQuantizationType[t.dtype]));
  });

  it("digests each tensor's exact bytes", async () => {
    const reading = await readGguf(bufferSource(file));
    const digests = await digestTensors(fileSource(target, file.length), reading.tensors);
    for (const t of reading.tensors) expect(digests[t.name]).toBe(sha(file.subarray(t.range!.offset, t.range!.offset + t.range!.length)));
  });

  it("names types and file types as @huggingface/gguf does", () => {
    for (const [value, [name]] of Object.entries(GGML_TYPES)) expect([value, name]).toEqual([value, GGMLQuantizationType[Number(value)]]);
    for (const [value, name] of Object.entries(FILE_TYPES)) expect([value, name]).toEqual([value, GGMLFileQuantizationType[Number(value)]]);
    for (const value of Object.values(GGMLQuantizationType).filter((v): v is number => typeof v === "number")) expect(GGML_TYPES[value]).toBeDefined();
  });

  describe("hostile headers are clear problems", () => {
    it.each([
      ["not GGUF at all", () => Buffer.from("PK\u0003\u0004 something else"), 'does not start with the GGUF magic (found "PK\\u0003\\u0004")'],
      ["an old version", () => new Writer().raw(Buffer.from("GGUF")).u32(1).u64(0).u64(0).done(), "is GGUF version 1; little-endian versions 2 and 3 are read"],
      ["a big-endian file", () => new Writer().raw(Buffer.from("GGUF")).u32(0x03000000).u64(0).u64(0).done(), "is GGUF version 50331648 (a big-endian file); little-endian versions 2 and 3 are read"],
      ["2^40 tensors", () => start(2n ** 40n, 0).done(), "claims 1099511627776 tensors, above the limit of 1000000"],
      ["a billion metadata entries", () => start(0, 1_000_000_000).done(), "claims 1000000000 metadata entries, above the limit of 100000"],
      ["a count past 2^53", () => start(2n ** 63n, 0).done(), "GGUF header: tensor count 9223372036854775808 is not a plausible size"],
      ["a 1 TB key", () => start(0, 1).u64(1_000_000_000_000).done(), "a metadata key is 1000000000000 bytes long"],
      ["a string value longer than the file", () => start(0, 1).str("k").u32(8).u64(1000).done(), "GGUF header ends past the end of the file (45 bytes)"],
      ["an array of 2^40 entries", () => start(0, 1).str("k").u32(9).u32(0).u64(2n ** 40n).done(), "has an array of 1099511627776 entries"],
      ["an array that skips past the file", () => start(0, 2).str("k").u32(9).u32(4).u64(1_000_000).str("next").u32(4).u32(0).done(), "GGUF header ends past the end of the file (69 bytes)"],
      ["arrays nested three deep", () => start(0, 1).str("k").u32(9).u32(9).u64(1).u32(9).u64(1).u32(9).u64(1).u32(0).u64(0).done(), "has arrays nested more than two deep"],
      ["an unknown value type", () => start(0, 1).str("k").u32(99).done(), "has a metadata value of unknown type 99"],
      ["a tensor of nine dimensions", () => start(1, 0).str("t").u32(9).done(), "tensor 't' has 9 dimensions"],
      [
        "a tensor too large to exist",
        () => start(1, 0).str("t").u32(4).u64(2n ** 20n).u64(2n ** 20n).u64(2n ** 20n).u64(2n ** 20n).u32(0).u64(0).done(),
        "tensor 't' has dimensions [1048576,1048576,1048576,1048576], more elements than any file holds",
      ],
      ["a tensor that ends past the file", () => start(1, 0).str("t").u32(1).u64(1024).u32(0).u64(0).raw(Buffer.alloc(100)).done(), "tensor 't' ends past the end of the file"],
      ["a file cut off in the tensor infos", () => start(2, 0).str("t").u32(1).u64(8).u32(0).u64(0).done(), "GGUF header ends past the end of the file (57 bytes)"],
    ])("%s", async (_, make, message) => {
      expect(await problem(make())).toBe(message);
    });

    it("a file cut off anywhere in the header is a problem, never a crash", async () => {
      const header = ggufFile().subarray(0, 9000);
      for (const cut of [3, 7, 15, 23, 40, 200, 5000, 8999]) {
        expect(await problem(header.subarray(0, cut))).toMatch(/GGUF header|GGUF magic|ends past the end/);
      }
    });
  });
});
