import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { gguf } from "@huggingface/gguf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readModelFacts } from "@/lib/model-facts/facts";
import { readGguf } from "@/lib/model-facts/readers/gguf";
import { interpretPickle } from "@/lib/model-facts/readers/pickle";
import { readPytorch } from "@/lib/model-facts/readers/pytorch";
import { readSafetensors } from "@/lib/model-facts/readers/safetensors";
import { fileSource, ModelFactsProblem, type ByteSource } from "@/lib/model-facts/readers/source";
import { digestTensors } from "@/lib/model-facts/tensor-digest";
import { safetensorsFile as safetensors } from "../helpers/safetensors";

const sha = (data: Buffer) => createHash("sha256").update(data).digest("hex");
const bufferSource = (data: Buffer): ByteSource => ({ size: data.length, read: async (offset, length) => data.subarray(offset, offset + length) });
/** A source that counts what the reader asked for: headers only, never the weights. */
function countingSource(data: Buffer) {
  const counted = { reads: 0, bytes: 0 };
  const source: ByteSource = {
    size: data.length,
    read: async (offset, length) => {
      counted.reads += 1;
      counted.bytes += Math.min(length, data.length - offset);
      return data.subarray(offset, offset + length);
    },
  };
  return { source, counted };
}


/** A GGUF v3 file written to the spec: metadata, two tensors (F32 and Q8_0), aligned data. */
function ggufFile(): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    parts.push(b);
  };
  const u64 = (n: number) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(n));
    parts.push(b);
  };
  const str = (s: string) => {
    u64(Buffer.byteLength(s));
    parts.push(Buffer.from(s));
  };
  parts.push(Buffer.from("GGUF"));
  u32(3);
  u64(2); // tensors
  u64(4); // metadata entries
  str("general.architecture");
  u32(8);
  str("llama");
  str("general.file_type");
  u32(4);
  u32(15); // Q4_K_M
  str("tokenizer.ggml.model");
  u32(8);
  str("gpt2");
  str("tokenizer.ggml.tokens");
  u32(9);
  u32(8);
  u64(100);
  for (let i = 0; i < 100; i += 1) str(`tok${i}`);
  // token_embd: dims innermost first [64, 32] → shape [32, 64], F32; blk.0.attn_q: [64, 64] Q8_0.
  str("token_embd.weight");
  u32(2);
  u64(64);
  u64(32);
  u32(0);
  u64(0);
  str("blk.0.attn_q.weight");
  u32(2);
  u64(64);
  u64(64);
  u32(8);
  u64(64 * 32 * 4);
  let header = Buffer.concat(parts);
  header = Buffer.concat([header, Buffer.alloc((32 - (header.length % 32)) % 32)]);
  const data = Buffer.alloc(64 * 32 * 4 + (64 * 64 / 32) * 34, 5);
  return Buffer.concat([header, data]);
}

describe("model facts readers", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "cairn-readers-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads a safetensors header in two reads, with exact ranges whose digests match the bytes", async () => {
    const file = safetensors({ a: { dtype: "F32", shape: [3, 4] }, b: { dtype: "BF16", shape: [5] } });
    const { source, counted } = countingSource(file);
    const reading = await readSafetensors(source);
    expect(counted.reads).toBe(2);
    expect(reading.tensors.map((t) => [t.name, t.dtype, t.shape, t.parameters])).toEqual([
      ["a", "F32", [3, 4], 12],
      ["b", "BF16", [5], 5],
    ]);
    const headerEnd = 8 + Number(file.readBigUInt64LE(0));
    expect(reading.tensors[0]!.range).toEqual({ offset: headerEnd, length: 48 });
    const digests = await digestTensors(bufferSource(file), reading.tensors);
    expect(digests).toEqual({ a: sha(file.subarray(headerEnd, headerEnd + 48)), b: sha(file.subarray(headerEnd + 48, headerEnd + 58)) });
  });

  it("reads 64 MiB of weights' facts from a few KiB of header", async () => {
    const file = safetensors({ w: { dtype: "F32", shape: [4096, 4096] } });
    const { source, counted } = countingSource(file);
    const facts = await readModelFacts([{ path: "model.safetensors", size: file.length, open: () => source }]);
    expect(facts.parameters).toBe(4096 * 4096);
    expect(counted.bytes).toBeLessThan(4096);
  });

  it.each([
    ["a header length past the file", () => Buffer.concat([Buffer.from([0xff, 0xff, 0, 0, 0, 0, 0, 0]), Buffer.alloc(10)]), /header length 65535 is past the end of the file \(18 bytes\)/],
    ["a 1 GB header claim", () => Buffer.concat([(() => { const b = Buffer.alloc(8); b.writeBigUInt64LE(1_000_000_000n); return b; })(), Buffer.alloc(16)]), /header length 1000000000 is past the end/],
    ["a nesting bomb", () => { const json = Buffer.from("[".repeat(100_000)); const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(json.length)); return Buffer.concat([b, json]); }, /nested 100000 levels deep/],
    ["offsets outside the data", () => { const json = Buffer.from(JSON.stringify({ w: { dtype: "F32", shape: [4], data_offsets: [0, 16] } })); const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(json.length)); return Buffer.concat([b, json, Buffer.alloc(8)]); }, /claims bytes 0–16, outside the 8 bytes of data/],
  ])("refuses %s with a clear problem", async (_, make, message) => {
    await expect(readSafetensors(bufferSource(make()))).rejects.toThrow(message);
    await expect(readSafetensors(bufferSource(make()))).rejects.toBeInstanceOf(ModelFactsProblem);
  });

  it("reads a GGUF file as @huggingface/gguf does: architecture, quantization, tensors and exact ranges", async () => {
    const file = ggufFile();
    const target = path.join(dir, "tiny.gguf");
    writeFileSync(target, file);
    const reading = await readGguf(fileSource(target, file.length));
    expect(reading.metadata).toMatchObject({ architecture: "llama", quantization: "Q4_K_M", tokenizer: true, version: 3 });
    expect(reading.tensors.map((t) => [t.name, t.dtype, t.shape, t.parameters])).toEqual([
      ["token_embd.weight", "F32", [32, 64], 2048],
      ["blk.0.attn_q.weight", "Q8_0", [64, 64], 4096],
    ]);
    const reference = await gguf(target, { allowLocalFile: true });
    expect(reference.metadata["general.architecture"]).toBe("llama");
    expect(reference.tensorInfos.map((t) => [t.name, t.shape.map(Number), Number(t.offset)])).toEqual([
      ["token_embd.weight", [64, 32], 0],
      ["blk.0.attn_q.weight", [64, 64], 8192],
    ]);
    const dataStart = Number(reference.tensorDataOffset);
    expect(reading.tensors.map((t) => t.range)).toEqual([
      { offset: dataStart, length: 8192 },
      { offset: dataStart + 8192, length: 128 * 34 },
    ]);
  });

  it("reads torch.save files and hashes each tensor's bytes as torch sees them", async () => {
    execFileSync("/usr/bin/python3", [
      "-c",
      `
import hashlib, json, sys, torch
torch.manual_seed(1)
sd = {"w": torch.randn(3, 5), "half": torch.randn(7).to(torch.bfloat16), "view": torch.randn(4, 6)[1:3], "t": torch.randn(5, 3).t()}
torch.save(sd, sys.argv[1] + "/sd.pt")
print(json.dumps({k: hashlib.sha256(v.contiguous().view(torch.uint8).numpy().tobytes() if v.dtype == torch.bfloat16 else v.contiguous().numpy().tobytes()).hexdigest() for k, v in sd.items()}))
`,
      dir,
    ]);
    const expected = JSON.parse(
      execFileSync("/usr/bin/python3", [
        "-c",
        `
import hashlib, json, sys, torch
sd = torch.load(sys.argv[1] + "/sd.pt")
print(json.dumps({k: hashlib.sha256(v.contiguous().view(torch.uint8).numpy().tobytes() if v.dtype == torch.bfloat16 else v.contiguous().numpy().tobytes()).hexdigest() for k, v in sd.items()}))
`,
        dir,
      ]).toString(),
    ) as Record<string, string>;
    const file = path.join(dir, "sd.pt");
    const source = fileSource(file, statSync(file).size);
    const reading = (await readPytorch(source))!;
    expect(reading.tensors.map((t) => [t.name, t.dtype, t.shape])).toEqual([
      ["w", "F32", [3, 5]],
      ["half", "BF16", [7]],
      ["view", "F32", [2, 6]],
      ["t", "F32", [3, 5]],
    ]);
    // A transposed tensor is not one range of its storage: no digest rather than a wrong one.
    expect(reading.tensors.find((t) => t.name === "t")!.range).toBeNull();
    const digests = await digestTensors(source, reading.tensors);
    expect(digests).toEqual({ w: expected.w, half: expected.half, view: expected.view });
  });

  it("refuses pickles that name anything but torch's tensors, and runs none of it", async () => {
    const sentinel = path.join(dir, "PWNED");
    const evil = execFileSync("/usr/bin/python3", [
      "-c",
      `
import os, pickle, sys
class Evil:
    def __reduce__(self):
        return (os.system, ("touch " + sys.argv[1],))
sys.stdout.buffer.write(pickle.dumps({"payload": Evil()}, protocol=2))
`,
      sentinel,
    ]);
    expect(() => interpretPickle(evil)).toThrow(/pickle loads posix\.system, which a checkpoint never needs; refused and not run/);
    const evalPickle = Buffer.from("cbuiltins\neval\n(Vprint(1)\ntR.", "latin1");
    expect(() => interpretPickle(evalPickle)).toThrow(/builtins\.eval/);
    expect(() => interpretPickle(Buffer.from("(i__main__\nEvil\n.", "latin1"))).toThrow(/opcode 0x69/);
    expect(() => interpretPickle(Buffer.from([0x80, 0x02, 0x68, 0x07, 0x2e]))).toThrow(/memo 7, which was never stored/);
    expect(() => interpretPickle(Buffer.from([0x80, 0x02, 0x58, 0xff, 0xff, 0xff, 0x7f]))).toThrow(/ends in the middle/);
    let loop = Buffer.from([0x80, 0x02]);
    loop = Buffer.concat([loop, Buffer.alloc(1000, 0x4e), Buffer.from([0x2e])]);
    expect(() => interpretPickle(loop, { maxOps: 100 })).toThrow(/past 100 instructions/);
    expect(() => readFileSync(sentinel)).toThrow();
  });
});
