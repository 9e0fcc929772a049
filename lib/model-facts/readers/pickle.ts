import "server-only";
import { isMark, items, kindOf, type Dict, type Mark, type PickleValue } from "./pickle-values";
import { ModelFactsProblem } from "./source";
import { allowGlobal, reduce, storageRecord } from "./torch-pickle";

export type { PickleValue, StorageRef, TensorRef } from "./pickle-values";

/** The pickle ended before its STOP: with more of the file it might not have (see `runPickle`). */
export class PickleTruncated extends ModelFactsProblem {}

/** Bounds on one pickle's work and memory, far above what `torch.save` of any real checkpoint needs. */
export const PICKLE_LIMITS = { maxOps: 20_000_000, maxStack: 1_000_000, maxMemo: 4_000_000, maxObjects: 4_000_000 };
type Limits = typeof PICKLE_LIMITS;

/**
 * Interprets one pickle starting at `start`, the way `torch.load(weights_only=True)` would but
 * further: it builds no object and calls nothing. It knows the opcodes `torch.save` writes
 * (protocols 2–5), lets GLOBAL name only what torch-pickle.ts allows, and turns persistent ids into
 * storage records and `_rebuild_tensor_v2` calls into tensor descriptions. Anything else —
 * `os.system`, `eval`, NEWOBJ, INST — is a problem that names it, and nothing runs. Work and
 * memory are bounded by `PICKLE_LIMITS`. Answers the value and the offset just past its STOP;
 * throws `PickleTruncated` if `data` ends first.
 */
export function runPickle(data: Buffer, opts: Partial<Limits> & { start?: number } = {}): { value: PickleValue; end: number } {
  const limits = { ...PICKLE_LIMITS, ...opts };
  const stack: (PickleValue | Mark)[] = [];
  const memo = new Map<number, PickleValue>();
  let p = opts.start ?? 0;
  let ops = 0;
  let objects = 0;

  const need = (n: number) => {
    if (p + n > data.length) throw new PickleTruncated("pickle ends in the middle of an instruction");
  };
  const u8 = () => (need(1), data[p++]!);
  const u16 = () => (need(2), (p += 2), data.readUInt16LE(p - 2));
  const u32 = () => (need(4), (p += 4), data.readUInt32LE(p - 4));
  const i32 = () => (need(4), (p += 4), data.readInt32LE(p - 4));
  const u64 = () => {
    need(8);
    const v = data.readBigUInt64LE(p);
    p += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ModelFactsProblem(`pickle has a length field of ${v}`);
    return Number(v);
  };
  const take = (n: number) => (need(n), (p += n), data.subarray(p - n, p));
  const line = () => {
    const end = data.indexOf(0x0a, p);
    if (end < 0 && data.length - p <= 512) throw new PickleTruncated("pickle ends in the middle of a GLOBAL name");
    if (end < 0 || end - p > 512) throw new ModelFactsProblem("pickle has an unterminated GLOBAL name");
    const text = data.toString("utf8", p, end);
    p = end + 1;
    return text;
  };
  const made = <T extends PickleValue>(value: T): T => {
    if (++objects > limits.maxObjects) throw new ModelFactsProblem(`pickle builds more than ${limits.maxObjects} objects`);
    return value;
  };
  const push = (value: PickleValue | Mark) => {
    if (stack.length >= limits.maxStack) throw new ModelFactsProblem(`pickle's stack grows past ${limits.maxStack} entries`);
    stack.push(value);
  };
  const pop = (): PickleValue => {
    const v = stack.pop();
    if (v === undefined || isMark(v)) throw new ModelFactsProblem("pickle pops from an empty stack");
    return v;
  };
  const popMark = (): PickleValue[] => {
    for (let i = stack.length - 1; i >= 0; i -= 1) {
      if (isMark(stack[i])) return stack.splice(i).slice(1) as PickleValue[];
    }
    throw new ModelFactsProblem("pickle has no MARK to pop to");
  };
  const top = (): PickleValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || isMark(v)) throw new ModelFactsProblem("pickle reads an empty stack");
    return v;
  };
  const remember = (index: number) => {
    if (!memo.has(index) && memo.size >= limits.maxMemo) throw new ModelFactsProblem(`pickle memoizes more than ${limits.maxMemo} values`);
    memo.set(index, top());
  };
  const global = (module: string, name: string) => made(allowGlobal(module, name));
  const setItems = (target: PickleValue, pairs: PickleValue[]) => {
    if (kindOf(target) !== "dict") throw new ModelFactsProblem("pickle sets items on something that is not a dict");
    for (let i = 0; i + 1 < pairs.length; i += 2) (target as Dict).entries.push([pairs[i]!, pairs[i + 1]!]);
  };
  const append = (target: PickleValue, values: PickleValue[]) => {
    if (!Array.isArray(target)) throw new ModelFactsProblem("pickle appends to something that is not a list");
    for (const value of values) target.push(value);
  };

  for (;;) {
    if (++ops > limits.maxOps) throw new ModelFactsProblem(`pickle runs past ${limits.maxOps} instructions`);
    if (p >= data.length) throw new PickleTruncated("pickle ends without its STOP");
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) throw new ModelFactsProblem(`pickle protocol ${data[p - 1]} is newer than any torch writes`);
        break;
      case 0x95: // FRAME
        take(8);
        break;
      case 0x2e: // STOP
        return { value: pop(), end: p };
      case 0x28: // MARK
        push({ kind: "mark" });
        break;
      case 0x7d: // EMPTY_DICT
        push(made({ kind: "dict", entries: [] }));
        break;
      case 0x5d: // EMPTY_LIST
        push(made([]));
        break;
      case 0x29: // EMPTY_TUPLE
        push(made({ kind: "tuple", items: [] }));
        break;
      case 0x74: // TUPLE
        push(made({ kind: "tuple", items: popMark() }));
        break;
      case 0x85: // TUPLE1
        push(made({ kind: "tuple", items: [pop()] }));
        break;
      case 0x86: // TUPLE2
      case 0x87: {
        // TUPLE3
        const tuple = op === 0x86 ? [pop(), pop()] : [pop(), pop(), pop()];
        push(made({ kind: "tuple", items: tuple.reverse() }));
        break;
      }
      case 0x6c: // LIST
        push(made(popMark()));
        break;
      case 0x64: {
        // DICT
        const dict: Dict = made({ kind: "dict", entries: [] });
        setItems(dict, popMark());
        push(dict);
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: // SETITEMS
      case 0x65: {
        // APPENDS
        const values = popMark();
        if (op === 0x75) setItems(top(), values);
        else append(top(), values);
        break;
      }
      case 0x61: {
        // APPEND
        const value = pop();
        append(top(), [value]);
        break;
      }
      case 0x4e: // NONE
        push(null);
        break;
      case 0x88: // NEWTRUE
      case 0x89: // NEWFALSE
        push(op === 0x88);
        break;
      case 0x4a: // BININT
        push(i32());
        break;
      case 0x4b: // BININT1
        push(u8());
        break;
      case 0x4d: // BININT2
        push(u16());
        break;
      case 0x8a: // LONG1
        push(littleEndianSigned(take(u8())));
        break;
      case 0x8b: {
        // LONG4
        const n = u32();
        if (n > 64) throw new ModelFactsProblem(`pickle has a ${n}-byte integer`);
        push(littleEndianSigned(take(n)));
        break;
      }
      case 0x47: // BINFLOAT
        push(take(8).readDoubleBE(0));
        break;
      case 0x58: // BINUNICODE
        push(take(u32()).toString("utf8"));
        break;
      case 0x8c: // SHORT_BINUNICODE
        push(take(u8()).toString("utf8"));
        break;
      case 0x8d: // BINUNICODE8
        push(take(u64()).toString("utf8"));
        break;
      case 0x55: // SHORT_BINSTRING
        push(take(u8()).toString("latin1"));
        break;
      case 0x54: // BINSTRING
        push(take(u32()).toString("latin1"));
        break;
      case 0x43: // SHORT_BINBYTES
        push(made(Buffer.from(take(u8()))));
        break;
      case 0x42: // BINBYTES
        push(made(Buffer.from(take(u32()))));
        break;
      case 0x8e: // BINBYTES8
        push(made(Buffer.from(take(u64()))));
        break;
      case 0x63: {
        // GLOBAL
        const moduleName = line();
        push(global(moduleName, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const moduleName = pop();
        if (typeof moduleName !== "string" || typeof name !== "string") throw new ModelFactsProblem("pickle STACK_GLOBAL without names");
        push(global(moduleName, name));
        break;
      }
      case 0x71: // BINPUT
        remember(u8());
        break;
      case 0x72: // LONG_BINPUT
        remember(u32());
        break;
      case 0x94: // MEMOIZE
        remember(memo.size);
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const index = op === 0x68 ? u8() : u32();
        const value = memo.get(index);
        if (value === undefined) throw new ModelFactsProblem(`pickle reads memo ${index}, which was never stored`);
        push(value);
        break;
      }
      case 0x30: // POP
        if (isMark(stack[stack.length - 1])) stack.pop();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        push(top());
        break;
      case 0x51: // BINPERSID
        push(made(storageRecord(pop())));
        break;
      case 0x52: {
        // REDUCE
        const args = pop();
        const callable = pop();
        push(made(reduce(callable, items(args) ?? [])));
        break;
      }
      case 0x62: {
        // BUILD: the state of an OrderedDict (its `_metadata`) or a parameter is ignored; anything else is refused.
        pop();
        if (kindOf(top()) !== "dict" && kindOf(top()) !== "tensor") throw new ModelFactsProblem("pickle BUILDs an object that is not a dict or tensor; refused");
        break;
      }
      default:
        throw new ModelFactsProblem(`pickle uses opcode 0x${op.toString(16).padStart(2, "0")} at byte ${p - 1}, which torch.save never writes; refused`);
    }
  }
}

/** `runPickle` of a whole buffer, for callers that want only the value. */
export function interpretPickle(data: Buffer, opts: Partial<Limits> = {}): PickleValue {
  return runPickle(data, opts).value;
}

function littleEndianSigned(bytes: Buffer): number {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i -= 1) value = (value << 8n) | BigInt(bytes[i]!);
  if (bytes.length > 0 && bytes[bytes.length - 1]! & 0x80) value -= 1n << BigInt(bytes.length * 8);
  return Number(value);
}
