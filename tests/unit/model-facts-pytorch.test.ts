import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZipFile } from "yazl";
import { readPytorch, type PytorchReading } from "@/lib/model-facts/readers/pytorch";
import { fileSource, ModelFactsProblem, type ByteSource } from "@/lib/model-facts/readers/source";
import { digestTensors } from "@/lib/model-facts/tensor-digest";

/** What torch itself says about each file the script wrote: per tensor its shape, numel and SHA-256. */
type TorchReport = Record<string, Record<string, { shape: number[]; numel: number; sha256: string }>>;

const SCRIPT = path.join(import.meta.dirname, "../fixtures/model-facts/torch-fixtures.py");

/** Reads a file through a source that counts what was asked for. */
function countedSource(file: string) {
  const inner = fileSource(file, statSync(file).size);
  const counted = { reads: 0, bytes: 0 };
  const source: ByteSource = {
    size: inner.size,
    read: (offset, length) => {
      counted.reads += 1;
      counted.bytes += length;
      return inner.read(offset, length);
    },
  };
  return { source, counted };
}

/** A zip written by yazl, each entry stored or deflated as asked: torch-like without torch. */
async function zipOf(entries: { name: string; data: Buffer; compress?: boolean }[]): Promise<Buffer> {
  const zip = new ZipFile();
  for (const { name, data, compress } of entries) zip.addBuffer(data, name, { compress: compress ?? false });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
const bytesSource = (data: Buffer): ByteSource => ({ size: data.length, read: async (offset, length) => data.subarray(offset, offset + length) });
const problemOf = async (data: Buffer) => {
  const error = await readPytorch(bytesSource(data)).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelFactsProblem);
  return (error as Error).message;
};

const summary = (reading: PytorchReading) => reading.tensors.map((t) => [t.name, t.dtype, t.shape, t.parameters]);
const total = (reading: PytorchReading, group?: "model" | "optimizer") => reading.tensors.filter((t) => !group || t.group === group).reduce((sum, t) => sum + t.parameters, 0);

describe("PyTorch checkpoints written by Debian's python3-torch", () => {
  let dir: string;
  let sentinel: string;
  let report: TorchReport;
  const at = (name: string) => path.join(dir, name);
  const read = async (name: string) => {
    const reading = await readPytorch(fileSource(at(name), statSync(at(name)).size));
    if (!reading) throw new Error(`${name} was not read as a torch checkpoint`);
    return reading;
  };
  const refusal = async (name: string) => {
    const error = await readPytorch(fileSource(at(name), statSync(at(name)).size)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ModelFactsProblem);
    return (error as Error).message;
  };
  /** Each tensor with a range hashes, in the file, to what torch hashes for its contiguous bytes. */
  const expectDigestsMatchTorch = async (name: string, reading: PytorchReading) => {
    const digests = await digestTensors(fileSource(at(name), statSync(at(name)).size), reading.tensors);
    const expected = Object.fromEntries(reading.tensors.filter((t) => t.range).map((t) => [t.name, report[name]![t.name]!.sha256]));
    expect(Object.keys(expected).length).toBeGreaterThan(0);
    expect(digests).toEqual(expected);
  };

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "cairn-torch-"));
    sentinel = path.join(dir, "PWNED");
    report = JSON.parse(execFileSync("/usr/bin/python3", [SCRIPT, dir, sentinel], { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 })) as TorchReport;
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads a state_dict's tensors, shapes and exact parameter count from the pickle and the zip directory", async () => {
    const { source, counted } = countedSource(at("state_dict.pt"));
    const reading = (await readPytorch(source))!;
    expect(summary(reading)).toEqual([
      ["0.weight", "F32", [20, 10], 200],
      ["0.bias", "F32", [20], 20],
      ["1.weight", "F32", [20], 20],
      ["1.bias", "F32", [20], 20],
      ["1.running_mean", "F32", [20], 20],
      ["1.running_var", "F32", [20], 20],
      ["1.num_batches_tracked", "I64", [], 1],
      ["3.weight", "F32", [5, 20], 100],
      ["3.bias", "F32", [5], 5],
    ]);
    expect(total(reading)).toBe(406);
    expect(reading.tensors.every((t) => t.group === "model")).toBe(true);
    for (const t of reading.tensors) expect([t.name, t.shape, t.parameters]).toEqual([t.name, report["state_dict.pt"]![t.name]!.shape, report["state_dict.pt"]![t.name]!.numel]);
    // The first bytes (legacy magic?), the end of the file, the directory, data.pkl's local header
    // and data.pkl, then the storages' local headers, close together here: one read for all nine.
    expect(counted.reads).toBe(6);
    await expectDigestsMatchTorch("state_dict.pt", reading);
  });

  it("reads a training checkpoint: model and Adam state apart, dotted names, top-level scalars", async () => {
    const reading = await read("training.pt");
    const model = reading.tensors.filter((t) => t.group === "model");
    const optimizer = reading.tensors.filter((t) => t.group === "optimizer");
    expect(model.map((t) => t.name)).toEqual(Object.keys(report["state_dict.pt"]!).map((name) => `model.${name}`));
    expect(total(reading, "model")).toBe(406);
    // Adam keeps step, exp_avg and exp_avg_sq for each of the 6 trainable parameters (365 numbers);
    // the RNG state saved beside it is training state too, not the model.
    expect(optimizer).toHaveLength(19);
    expect(optimizer.slice(0, 3).map((t) => [t.name, t.shape])).toEqual([
      ["optimizer.state.0.step", []],
      ["optimizer.state.0.exp_avg", [20, 10]],
      ["optimizer.state.0.exp_avg_sq", [20, 10]],
    ]);
    const rng = report["training.pt"]!.rng_state!;
    expect(optimizer[18]).toMatchObject({ name: "rng_state", dtype: "U8", shape: rng.shape });
    expect(total(reading, "optimizer")).toBe(6 + 2 * 365 + rng.numel);
    expect(reading.tensors.map((t) => t.name).sort()).toEqual(Object.keys(report["training.pt"]!).sort());
    expect(reading.metadata).toEqual({ epoch: 3, global_step: 120, loss: 0.25, name: "run-a" });
    await expectDigestsMatchTorch("training.pt", reading);
  });

  it("reads bf16, a view at a storage offset, tied weights; a transposed tensor has no range rather than a wrong one", async () => {
    const reading = await read("views.pt");
    expect(summary(reading)).toEqual([
      ["bf16", "BF16", [3, 4], 12],
      ["base", "F32", [4, 6], 24],
      ["rows", "F32", [2, 6], 12],
      ["transposed", "F32", [6, 4], 24],
      ["embed.weight", "F32", [8, 3], 24],
      ["lm_head.weight", "F32", [8, 3], 24],
    ]);
    const byName = Object.fromEntries(reading.tensors.map((t) => [t.name, t]));
    expect(byName.transposed!.range).toBeNull();
    // `rows` is base[1:3]: the same storage, 6 floats in.
    expect(byName.rows!.range).toEqual({ offset: byName.base!.range!.offset + 24, length: 48 });
    expect(byName["lm_head.weight"]!.range).toEqual(byName["embed.weight"]!.range);
    await expectDigestsMatchTorch("views.pt", reading);
  });

  it("reads the legacy (pre-zip) format, storages located after the pickles", async () => {
    const reading = await read("legacy.pt");
    expect(summary(reading)).toEqual(summary(await read("state_dict.pt")));
    expect(total(reading)).toBe(406);
    await expectDigestsMatchTorch("legacy.pt", reading);
  });

  it("reads a legacy file whose pickle is larger than the first window", async () => {
    const reading = await read("legacy-big.pt");
    expect(summary(reading)).toEqual([["w", "F32", [7, 3], 21]]);
    await expectDigestsMatchTorch("legacy-big.pt", reading);
  });

  it("refuses a legacy file whose storages do not add up to its size", async () => {
    const original = readFileSync(at("legacy.pt"));
    const padded = Buffer.concat([original, Buffer.alloc(5)]);
    const source: ByteSource = { size: padded.length, read: async (offset, length) => padded.subarray(offset, offset + length) };
    await expect(readPytorch(source)).rejects.toThrow(`legacy storages end at byte ${original.length}, but the file has ${padded.length} bytes`);
  });

  it.each([
    ["evil.pt", "torch.save's zip format"],
    ["evil-legacy.pt", "torch.save's legacy format"],
    ["evil.pkl", "a raw pickle (protocol 4)"],
    ["evil-p2.pkl", "a raw pickle (protocol 2)"],
  ])("refuses the os.system payload in %s (%s) and runs nothing", async (name) => {
    const message = await refusal(name);
    expect(message).toMatch(/pickle loads posix\.system, which a checkpoint never needs; refused and not run$/);
    expect(existsSync(sentinel)).toBe(false);
  });

  it("refuses the payload in a torch-like zip that torch did not write", async () => {
    const zip = await zipOf([
      { name: "archive/data.pkl", data: readFileSync(at("evil-p2.pkl")) },
      { name: "archive/version", data: Buffer.from("3\n") },
    ]);
    expect(await problemOf(zip)).toBe("pickle loads posix.system, which a checkpoint never needs; refused and not run");
    expect(existsSync(sentinel)).toBe(false);
  });

  it("refuses zips that are not what torch writes, reading only the directory", async () => {
    const pickle = readFileSync(at("evil-p2.pkl"));
    expect(await problemOf(await zipOf([{ name: "archive/data.pkl", data: pickle, compress: true }]))).toBe("has a compressed data.pkl; torch.save stores it uncompressed");
    expect(await problemOf(await zipOf([{ name: "model/weights.npy", data: Buffer.alloc(10) }]))).toBe("is a zip archive without data.pkl, not a torch.save checkpoint");

    const original = readFileSync(at("state_dict.pt"));
    const eocd = original.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    const pastEnd = Buffer.from(original);
    pastEnd.writeUInt32LE(original.length, eocd + 16);
    expect(await problemOf(pastEnd)).toBe(`zip directory claims bytes past the end of the file (${original.length} bytes)`);

    // data.pkl's directory entry claiming 2 GB: refused before anything is read.
    const directory = original.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    const huge = Buffer.from(original);
    huge.writeUInt32LE(0x7fffffff, directory + 24);
    expect(await problemOf(huge)).toBe("data.pkl is 2147483647 bytes, above the 67108864-byte limit");
  });

  it("proves the sentinel would appear if the payload ran", () => {
    // Python's own unpickler runs it: the test above would see the file.
    execFileSync("/usr/bin/python3", ["-c", "import pickle, sys; pickle.load(open(sys.argv[1], 'rb'))", at("evil-p2.pkl")]);
    expect(existsSync(sentinel)).toBe(true);
    rmSync(sentinel);
  });

  it("answers null for a .bin that is neither a zip nor a pickle", async () => {
    const file = at("random.bin");
    execFileSync("/usr/bin/python3", ["-c", "import sys; open(sys.argv[1], 'wb').write(bytes(range(256)) * 4)", file]);
    expect(await readPytorch(fileSource(file, statSync(file).size))).toBeNull();
  });

  it("refuses a zip whose pickle points a tensor past its storage", async () => {
    // Rewrite data.pkl's storage offset for 0.bias (BININT1 0 after its BINPERSID) to 200: past 80 bytes.
    const original = readFileSync(at("state_dict.pt"));
    const marker = Buffer.from("X\u0006\u0000\u0000\u00000.bias", "latin1");
    const start = original.indexOf(marker);
    const persid = original.indexOf(Buffer.from([0x51, 0x4b, 0x00]), start);
    expect(start > 0 && persid > start).toBe(true);
    const tampered = Buffer.from(original);
    tampered[persid + 2] = 200;
    const source: ByteSource = { size: tampered.length, read: async (offset, length) => tampered.subarray(offset, offset + length) };
    await expect(readPytorch(source)).rejects.toThrow("tensor '0.bias' reaches past the 80 bytes of its storage 1");
  });
});
