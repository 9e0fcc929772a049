import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { interpretPickle, runPickle, PickleTruncated } from "@/lib/model-facts/readers/pickle";
import { readPytorch } from "@/lib/model-facts/readers/pytorch";
import { ModelFactsProblem, type ByteSource } from "@/lib/model-facts/readers/source";

/** Pickle opcodes, spelled out: a hostile pickle is written here byte by byte. */
const op = {
  PROTO2: [0x80, 0x02],
  STOP: [0x2e],
  MARK: [0x28],
  NONE: [0x4e],
  EMPTY_LIST: [0x5d],
  EMPTY_DICT: [0x7d],
  EMPTY_TUPLE: [0x29],
  TUPLE: [0x74],
  TUPLE2: [0x86],
  APPEND: [0x61],
  SETITEM: [0x73],
  REDUCE: [0x52],
  BUILD: [0x62],
  DUP: [0x32],
  BINPERSID: [0x51],
  binint1: (n: number) => [0x4b, n],
  binput: (n: number) => [0x71, n],
  binget: (n: number) => [0x68, n],
  longBinput: (n: number) => [0x72, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24],
  unicode: (s: string) => {
    const b = Buffer.from(s);
    return [0x58, b.length & 0xff, (b.length >> 8) & 0xff, (b.length >> 16) & 0xff, b.length >>> 24, ...b];
  },
  global: (module: string, name: string) => [0x63, ...Buffer.from(`${module}\n${name}\n`)],
};
const pickle = (...parts: (number[] | number)[]) => Buffer.from(parts.flatMap((p) => (typeof p === "number" ? [p] : p)));
const repeat = (part: number[], n: number) => Array.from({ length: n }, () => part).flat();
/** A torch storage record and a 1-D tensor of `n` floats over it. */
const tensorOps = (key: string, n: number) => [
  ...op.global("torch._utils", "_rebuild_tensor_v2"),
  ...op.MARK,
  ...op.MARK,
  ...op.unicode("storage"),
  ...op.global("torch", "FloatStorage"),
  ...op.unicode(key),
  ...op.unicode("cpu"),
  ...op.binint1(n),
  ...op.TUPLE,
  ...op.BINPERSID,
  ...op.binint1(0),
  ...op.MARK,
  ...op.binint1(n),
  ...op.TUPLE,
  ...op.MARK,
  ...op.binint1(1),
  ...op.TUPLE,
  ...op.TUPLE,
  ...op.REDUCE,
];
const source = (data: Buffer): ByteSource => ({ size: data.length, read: async (offset, length) => data.subarray(offset, offset + length) });
const refused = (data: Buffer, limits?: Parameters<typeof interpretPickle>[1]) => {
  try {
    interpretPickle(data, limits);
  } catch (error) {
    expect(error).toBeInstanceOf(ModelFactsProblem);
    return (error as Error).message;
  }
  throw new Error("the pickle was accepted");
};

describe("the restricted pickle interpreter", () => {
  it("describes torch's tensor records without building or calling anything", () => {
    const value = interpretPickle(pickle(op.PROTO2, op.EMPTY_DICT, op.unicode("w"), tensorOps("0", 4), op.SETITEM, op.STOP));
    expect(value).toEqual({
      kind: "dict",
      entries: [["w", { kind: "tensor", storage: { kind: "storage", dtype: "F32", key: "0", numel: 4 }, offset: 0, shape: [4], stride: [1] }]],
    });
  });

  it.each([
    ["os.system by GLOBAL", pickle(op.PROTO2, op.global("os", "system"), op.unicode("touch /tmp/x"), op.REDUCE, op.STOP), "pickle loads os.system, which a checkpoint never needs; refused and not run"],
    ["builtins.eval", pickle(op.PROTO2, op.global("builtins", "eval"), op.STOP), "pickle loads builtins.eval, which a checkpoint never needs; refused and not run"],
    ["subprocess by STACK_GLOBAL", pickle(op.PROTO2, op.unicode("subprocess"), op.unicode("Popen"), [0x93], op.STOP), "pickle loads subprocess.Popen, which a checkpoint never needs; refused and not run"],
    ["torch.storage._load_from_bytes", pickle(op.PROTO2, op.global("torch.storage", "_load_from_bytes"), op.STOP), "pickle loads torch.storage._load_from_bytes, which a checkpoint never needs; refused and not run"],
    ["a call of an allowed name that is no function", pickle(op.PROTO2, op.global("torch", "float32"), op.EMPTY_TUPLE, op.REDUCE, op.STOP), "pickle calls torch.float32; refused and not run"],
    ["a call of a storage type", pickle(op.PROTO2, op.global("torch", "FloatStorage"), op.EMPTY_TUPLE, op.REDUCE, op.STOP), "pickle calls torch.FloatStorage; refused and not run"],
    ["BUILD on a name", pickle(op.PROTO2, op.global("collections", "OrderedDict"), op.EMPTY_DICT, op.BUILD, op.STOP), "pickle BUILDs an object that is not a dict or tensor; refused"],
    ["INST", pickle(op.MARK, [0x69], Buffer.from("os\nsystem\n").toJSON().data, op.STOP), "pickle uses opcode 0x69 at byte 1, which torch.save never writes; refused"],
    ["OBJ", pickle(op.PROTO2, op.MARK, [0x6f], op.STOP), "pickle uses opcode 0x6f at byte 3, which torch.save never writes; refused"],
    ["NEWOBJ", pickle(op.PROTO2, op.NONE, op.EMPTY_TUPLE, [0x81], op.STOP), "pickle uses opcode 0x81 at byte 4, which torch.save never writes; refused"],
    ["a text persistent id", pickle(op.PROTO2, [0x50], Buffer.from("x\n").toJSON().data, op.STOP), "pickle uses opcode 0x50 at byte 2, which torch.save never writes; refused"],
    ["a persistent id that is no storage", pickle(op.PROTO2, op.unicode("file"), op.BINPERSID, op.STOP), "pickle has a persistent id that is not a torch storage record"],
    ["a tensor of something else", pickle(op.PROTO2, op.global("torch._utils", "_rebuild_tensor_v2"), op.MARK, op.NONE, op.binint1(0), op.EMPTY_TUPLE, op.EMPTY_TUPLE, op.TUPLE, op.REDUCE, op.STOP), "pickle rebuilds a tensor from something that is not a storage"],
    ["a memo read of nothing", pickle(op.PROTO2, op.binget(7), op.STOP), "pickle reads memo 7, which was never stored"],
    ["protocol 6", pickle([0x80, 0x06], op.NONE, op.STOP), "pickle protocol 6 is newer than any torch writes"],
    ["a 100-byte integer", pickle(op.PROTO2, [0x8b, 100, 0, 0, 0], op.STOP), "pickle has a 100-byte integer"],
  ])("refuses %s", (_, data, message) => {
    expect(refused(data)).toBe(message);
  });

  it("refuses what plain pickle.dumps of a tensor carries (torch.storage._load_from_bytes)", () => {
    const data = execFileSync("/usr/bin/python3", ["-c", "import pickle, sys, torch; sys.stdout.buffer.write(pickle.dumps({'w': torch.zeros(2)}, protocol=2))"]);
    expect(refused(data)).toBe("pickle loads torch.storage._load_from_bytes, which a checkpoint never needs; refused and not run");
  });

  it("bounds work and memory: instructions, stack, memo and objects", () => {
    expect(refused(pickle(op.PROTO2, repeat(op.NONE, 1000), op.STOP), { maxOps: 100 })).toBe("pickle runs past 100 instructions");
    expect(refused(pickle(op.PROTO2, op.NONE, repeat(op.DUP, 1_000_001), op.STOP))).toBe("pickle's stack grows past 1000000 entries");
    const memoBomb = pickle(op.PROTO2, op.NONE, ...Array.from({ length: 2000 }, (_, i) => op.longBinput(i)), op.STOP);
    expect(refused(memoBomb, { maxMemo: 1000 })).toBe("pickle memoizes more than 1000 values");
    const listBomb = pickle(op.PROTO2, op.EMPTY_LIST, repeat([...op.EMPTY_LIST, ...op.APPEND], 2000), op.STOP);
    expect(refused(listBomb, { maxObjects: 1000 })).toBe("pickle builds more than 1000 objects");
  });

  it("reports a pickle cut short as truncated, so a reader can ask for more or give up", () => {
    const whole = pickle(op.PROTO2, op.EMPTY_DICT, op.unicode("w"), tensorOps("0", 4), op.SETITEM, op.STOP);
    for (const cut of [1, 5, 20, 60, whole.length - 1]) expect(() => runPickle(whole.subarray(0, cut))).toThrow(PickleTruncated);
    expect(runPickle(Buffer.concat([whole, Buffer.from("trailing")])).end).toBe(whole.length);
  });

  it("walks a graph shared 2^60 ways once, and a dict that holds itself", async () => {
    // l0 = [tensor]; l(i+1) = [l(i), l(i)]: 2^60 paths to the one tensor, 60 levels deep.
    const laughs = [...op.EMPTY_LIST, ...tensorOps("0", 1), ...op.APPEND, ...op.binput(0)];
    for (let i = 1; i <= 60; i += 1) laughs.push(...op.EMPTY_LIST, ...op.binget((i - 1) % 2), ...op.APPEND, ...op.binget((i - 1) % 2), ...op.APPEND, ...op.binput(i % 2));
    const reading = await readPytorch(source(pickle(op.PROTO2, laughs, op.STOP)));
    expect(reading?.tensors.map((t) => [t.name, t.range])).toEqual([[Array.from({ length: 61 }, () => "0").join("."), null]]);

    const cycle = pickle(op.PROTO2, op.EMPTY_DICT, op.binput(0), op.unicode("self"), op.binget(0), op.SETITEM, op.unicode("w"), tensorOps("0", 2), op.SETITEM, op.STOP);
    expect((await readPytorch(source(cycle)))?.tensors.map((t) => t.name)).toEqual(["w"]);
  });

  it("refuses containers nested 100,000 deep without overflowing the stack", async () => {
    const deep = pickle(op.PROTO2, repeat(op.EMPTY_LIST, 100_000), repeat(op.APPEND, 99_999), op.STOP);
    await expect(readPytorch(source(deep))).rejects.toThrow("pickle nests containers more than 64 deep");
  });
});
