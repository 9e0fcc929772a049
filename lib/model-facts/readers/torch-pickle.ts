import "server-only";
import { isCount, isGlobal, items, kindOf, type Global, type PickleValue, type StorageRef } from "./pickle-values";
import { ModelFactsProblem } from "./source";

// What a torch checkpoint's pickle may name and what its few calls mean, for the interpreter in
// pickle.ts: the same ground `torch.load(weights_only=True)` stands on, narrower still.

/** torch's typed storages (what `torch.save` names in a storage record) and their dtypes. */
export const STORAGE_DTYPES: Record<string, string> = {
  FloatStorage: "F32",
  DoubleStorage: "F64",
  HalfStorage: "F16",
  BFloat16Storage: "BF16",
  LongStorage: "I64",
  IntStorage: "I32",
  ShortStorage: "I16",
  CharStorage: "I8",
  ByteStorage: "U8",
  UntypedStorage: "U8",
  BoolStorage: "BOOL",
  ComplexFloatStorage: "C64",
  ComplexDoubleStorage: "C128",
  Float8_e4m3fnStorage: "F8_E4M3",
  Float8_e5m2Storage: "F8_E5M2",
};
/** dtypes a checkpoint may name as plain values (a config's `torch_dtype`); never callable. */
const DTYPES = ["float32", "float", "float64", "double", "float16", "half", "bfloat16", "int64", "long", "int32", "int", "int16", "short", "int8", "uint8", "bool", "complex64", "complex128", "float8_e4m3fn", "float8_e5m2"];

/** The only names a checkpoint pickle may load: containers, torch's tensor rebuilders, dtypes. */
const ALLOWED = new Set([
  "collections.OrderedDict",
  "torch._utils._rebuild_tensor_v2",
  "torch._utils._rebuild_parameter",
  "torch._utils._rebuild_parameter_with_state",
  "torch.Size",
  "torch.device",
  "_codecs.encode",
  ...Object.keys(STORAGE_DTYPES).map((name) => `torch.${name}`),
  ...DTYPES.map((name) => `torch.${name}`),
]);

/** A GLOBAL the interpreter may load, or a problem naming it: nothing else is ever looked up. */
export function allowGlobal(module: string, name: string): Global {
  const full = `${module}.${name}`;
  if (!ALLOWED.has(full)) throw new ModelFactsProblem(`pickle loads ${full}, which a checkpoint never needs; refused and not run`);
  return { kind: "global", module, name };
}

/** A persistent id `('storage', torch.FloatStorage, key, location, numel[, view_metadata])`. */
export function storageRecord(pid: PickleValue): StorageRef {
  const [tag, type, key, , numel, view] = items(pid) ?? [];
  if (tag !== "storage" || kindOf(type) !== "global" || typeof key !== "string" || key.length > 256 || !isCount(numel)) {
    throw new ModelFactsProblem("pickle has a persistent id that is not a torch storage record");
  }
  const dtype = STORAGE_DTYPES[(type as Global).name];
  if (!dtype) throw new ModelFactsProblem(`pickle names the storage type ${(type as Global).module}.${(type as Global).name}`);
  return { kind: "storage", dtype, key, numel, ...(view !== undefined && view !== null ? { view: true } : {}) };
}

/** What calling an allowed name means here: a description of the result, built without calling anything. */
export function reduce(callable: PickleValue, args: PickleValue[]): PickleValue {
  if (isGlobal(callable, "collections.OrderedDict")) return { kind: "dict", entries: [] };
  if (isGlobal(callable, "torch.Size")) return { kind: "tuple", items: items(args[0]) ?? [] };
  if (isGlobal(callable, "torch.device")) return args.filter((a) => typeof a === "string" || typeof a === "number").join(":");
  if (isGlobal(callable, "_codecs.encode")) return typeof args[0] === "string" ? Buffer.from(args[0], "latin1") : Buffer.alloc(0);
  if (isGlobal(callable, "torch._utils._rebuild_tensor_v2")) {
    const [storage, offset, size, stride] = args;
    const shape = items(size);
    const strides = items(stride);
    if (kindOf(storage) !== "storage" || !isCount(offset) || !shape || !strides) throw new ModelFactsProblem("pickle rebuilds a tensor from something that is not a storage");
    if (!shape.every(isCount) || !strides.every(Number.isSafeInteger) || strides.length !== shape.length) throw new ModelFactsProblem("pickle rebuilds a tensor with a malformed shape");
    return { kind: "tensor", storage: storage as StorageRef, offset, shape: shape as number[], stride: strides as number[] };
  }
  if (isGlobal(callable, "torch._utils._rebuild_parameter") || isGlobal(callable, "torch._utils._rebuild_parameter_with_state")) {
    if (kindOf(args[0]) !== "tensor") throw new ModelFactsProblem("pickle rebuilds a parameter from something that is not a tensor");
    return args[0]!;
  }
  const name = kindOf(callable) === "global" ? `${(callable as Global).module}.${(callable as Global).name}` : "a value";
  throw new ModelFactsProblem(`pickle calls ${name}; refused and not run`);
}
