import "server-only";
import { PickleTruncated, runPickle, type PickleValue, type StorageRef, type TensorRef } from "./pickle";
import { ModelFactsProblem, type ByteSource, type TensorInfo } from "./source";
import { entryDataOffset, entryDataOffsets, readZipDirectory, type ZipEntry } from "./zip";

/** A pickle above this is not a checkpoint's index of tensors. */
const MAX_PICKLE = 64 * 1024 * 1024;
/** A legacy file's pickles are read through a window that starts here and grows only as needed. */
const FIRST_WINDOW = 1024 * 1024;
/** Tensors found past this many are counted no further (a walk of a hostile graph ends). */
const MAX_TENSORS = 1_000_000;
/** Containers nested deeper than this are no checkpoint (a state_dict is two levels, a trainer's five). */
const MAX_NESTING = 64;
/** `torch.save`'s legacy format starts with this pickle: protocol 2, the long 0x1950a86a20f9469cfc6c. */
const LEGACY_MAGIC = Buffer.from("80028a0a6cfc9c46f9206aa850192e", "hex");
const LEGACY_PROTOCOL = 1001;

const ITEM_BYTES: Record<string, number> = { F32: 4, F64: 8, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1, C64: 8, C128: 16, F8_E4M3: 1, F8_E5M2: 1 };
/** Top-level keys of a training checkpoint that hold training state (optimizer, schedulers, RNG), not the model. */
const TRAINING_STATE_KEYS = /^(optimizers?|optim|opt|optimizer_states?|opt_state|(lr_)?schedulers?|(grad_)?scaler|amp|rng_states?|rng|random_states?)(_dict|_state_dict)?$/i;

export type PytorchReading = { format: "pytorch"; tensors: TensorInfo[]; metadata: Record<string, unknown> };
type Found = { path: string; tensor: TensorRef; optimizer: boolean };
/** Where a storage's bytes are in the file, or null when they are not one plain range of it. */
type Locate = (storage: StorageRef) => { offset: number; length: number } | null;

/**
 * Reads a `torch.save` checkpoint without loading it: the zip format (the directory, then
 * `<archive>/data.pkl` through the pickle interpreter that runs nothing; each tensor's bytes are in
 * its stored `<archive>/data/<key>` entry) or the legacy format (pickles back to back, then the
 * storages in key order). A file that is neither a zip nor a pickle answers null: the name promised
 * a checkpoint, the bytes are something else.
 */
export async function readPytorch(source: ByteSource): Promise<PytorchReading | null> {
  // The legacy magic first: raw storage bytes at the end of such a file may look like a zip's end record.
  const head = await source.read(0, Math.min(source.size, LEGACY_MAGIC.length));
  if (head.equals(LEGACY_MAGIC)) return readLegacyCheckpoint(source);
  const entries = await readZipDirectory(source);
  if (entries) return readZipCheckpoint(source, entries);
  const protocol = head[1] ?? 0;
  return head[0] === 0x80 && protocol >= 2 && protocol <= 5 ? readRawPickle(source) : null;
}

async function readZipCheckpoint(source: ByteSource, entries: ZipEntry[]): Promise<PytorchReading> {
  const pickleEntry = entries.find((e) => /^([^/]+\/)?data\.pkl$/.test(e.name));
  if (!pickleEntry) throw new ModelFactsProblem("is a zip archive without data.pkl, not a torch.save checkpoint");
  if (pickleEntry.method !== 0) throw new ModelFactsProblem("has a compressed data.pkl; torch.save stores it uncompressed");
  if (pickleEntry.size > MAX_PICKLE) throw new ModelFactsProblem(`data.pkl is ${pickleEntry.size} bytes, above the ${MAX_PICKLE}-byte limit`);
  const prefix = pickleEntry.name.slice(0, pickleEntry.name.length - "data.pkl".length);
  const { value: root } = runPickle(await source.read(await entryDataOffset(source, pickleEntry), pickleEntry.size));

  const found = tensorsIn(root);
  const byName = new Map(entries.map((e) => [e.name, e]));
  // torch writes storages stored (uncompressed); anything else is not one range of the file.
  const storageEntry = (key: string) => {
    const entry = byName.get(`${prefix}data/${key}`);
    return entry && entry.method === 0 ? entry : undefined;
  };
  const used = [...new Set(found.map((f) => f.tensor.storage.key))].map(storageEntry).filter((e): e is ZipEntry => e !== undefined);
  const offsets = await entryDataOffsets(source, used);
  return describe(root, found, (storage) => {
    const entry = storageEntry(storage.key);
    const offset = entry && offsets.get(entry.name);
    return entry && offset !== undefined ? { offset, length: entry.size } : null;
  });
}

async function readLegacyCheckpoint(source: ByteSource): Promise<PytorchReading> {
  let at = LEGACY_MAGIC.length;
  const next = async (what: string) => {
    const { value, end } = await pickleAt(source, at, what);
    at = end;
    return value;
  };
  if ((await next("the protocol pickle")) !== LEGACY_PROTOCOL) throw new ModelFactsProblem(`is a legacy torch.save file of an unknown protocol`);
  const sysInfo = await next("the system-info pickle");
  if (entry(sysInfo, "little_endian") === false) throw new ModelFactsProblem("is a big-endian legacy torch.save file; its tensors are not read");
  const root = await next("the checkpoint pickle");
  const keys = await next("the storage-keys pickle");
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === "string")) throw new ModelFactsProblem("legacy storage keys are not a list of names");

  // After the keys, each storage in key order: its element count (8 bytes) then its bytes.
  const storages = new Map<string, StorageRef>();
  const found = tensorsIn(root);
  for (const { tensor } of found) storages.set(tensor.storage.key, tensor.storage);
  const layout = new Map<string, { offset: number; length: number }>();
  let position = at;
  for (const key of keys as string[]) {
    const storage = storages.get(key);
    if (!storage) {
      position = Number.NaN; // a storage no tensor describes: the layout past it is unknown
      break;
    }
    const length = storage.numel * (ITEM_BYTES[storage.dtype] ?? Number.NaN);
    layout.set(key, { offset: position + 8, length });
    position += 8 + length;
  }
  if (!Number.isNaN(position) && position !== source.size) {
    throw new ModelFactsProblem(`legacy storages end at byte ${position}, but the file has ${source.size} bytes`);
  }
  return describe(root, found, (storage) => (Number.isNaN(position) ? null : (layout.get(storage.key) ?? null)));
}

/** A bare pickle (`pickle.dump`, not `torch.save`): read for what it names; it has no tensor bytes. */
async function readRawPickle(source: ByteSource): Promise<PytorchReading> {
  const { value } = await pickleAt(source, 0, "the pickle");
  return describe(value, tensorsIn(value), () => null);
}

/** One pickle at `start`, read through a window that grows from 1 MiB only while the pickle needs more. */
async function pickleAt(source: ByteSource, start: number, what: string): Promise<{ value: PickleValue; end: number }> {
  const available = source.size - start;
  for (let window = Math.min(FIRST_WINDOW, available); ; window = Math.min(window * 4, MAX_PICKLE, available)) {
    try {
      const { value, end } = runPickle(await source.read(start, window));
      return { value, end: start + end };
    } catch (error) {
      if (!(error instanceof PickleTruncated)) throw error;
      if (window >= available) throw new ModelFactsProblem(`${what} at byte ${start}: ${error.message}`, { cause: error });
      if (window >= MAX_PICKLE) throw new ModelFactsProblem(`${what} at byte ${start} runs past the ${MAX_PICKLE}-byte limit`, { cause: error });
    }
  }
}

/** The tensors a pickle's value describes, each with its absolute byte range when it is one. */
function describe(root: PickleValue, found: Found[], locate: Locate): PytorchReading {
  const bare = isBareOptimizerState(root);
  const tensors: TensorInfo[] = [];
  for (const { path, tensor, optimizer } of found) {
    const itemBytes = ITEM_BYTES[tensor.storage.dtype];
    const parameters = tensor.shape.reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(parameters)) throw new ModelFactsProblem(`tensor '${path}' has a shape of ${parameters} elements`);
    const storage = tensor.storage.view ? null : locate(tensor.storage);
    let range: TensorInfo["range"] = null;
    if (storage && itemBytes !== undefined && contiguous(tensor)) {
      range = { offset: storage.offset + tensor.offset * itemBytes, length: parameters * itemBytes };
      if (tensor.offset * itemBytes + range.length > storage.length) {
        throw new ModelFactsProblem(`tensor '${path}' reaches past the ${storage.length} bytes of its storage ${tensor.storage.key}`);
      }
    }
    tensors.push({ name: path, dtype: tensor.storage.dtype, shape: tensor.shape, parameters, range, group: optimizer || bare ? "optimizer" : "model" });
  }
  return { format: "pytorch", tensors, metadata: scalars(root) };
}

function tensorsIn(root: PickleValue): Found[] {
  const found: Found[] = [];
  walk(root, [], false, found, new Set());
  return found;
}

/**
 * Every tensor reachable from the root, named by its dotted path (`model.layer.weight`,
 * `optimizer.state.0.exp_avg`). A container is visited once (pickles can share and even cycle);
 * a tensor is reported at every path that holds it (tied weights have two names).
 */
function walk(value: PickleValue, path: string[], optimizer: boolean, found: Found[], seen: Set<object>): void {
  if (found.length >= MAX_TENSORS || value === null || typeof value !== "object" || Buffer.isBuffer(value)) return;
  if (!Array.isArray(value) && value.kind === "tensor") {
    found.push({ path: path.join(".") || "tensor", tensor: value, optimizer });
    return;
  }
  if (seen.has(value)) return;
  seen.add(value);
  if (path.length > MAX_NESTING) throw new ModelFactsProblem(`pickle nests containers more than ${MAX_NESTING} deep`);
  if (Array.isArray(value) || value.kind === "tuple") {
    const list = Array.isArray(value) ? value : value.items;
    list.forEach((item, i) => walk(item, [...path, String(i)], optimizer, found, seen));
  } else if (value.kind === "dict") {
    for (const [key, item] of value.entries) {
      const name = typeof key === "string" || typeof key === "number" ? String(key) : "?";
      walk(item, [...path, name], optimizer || (path.length === 0 && TRAINING_STATE_KEYS.test(name)), found, seen);
    }
  }
}

function entry(dict: PickleValue, key: string): PickleValue | undefined {
  if (!dict || typeof dict !== "object" || Array.isArray(dict) || Buffer.isBuffer(dict) || dict.kind !== "dict") return undefined;
  return dict.entries.find(([k]) => k === key)?.[1];
}

/** An optimizer's own `state_dict()` saved alone: `{state: {...}, param_groups: [...]}`. */
function isBareOptimizerState(root: PickleValue): boolean {
  return entry(root, "state") !== undefined && entry(root, "param_groups") !== undefined;
}

/** Top-level scalars saved beside the tensors (`epoch`, `step`, `global_step`, `loss`, a run's name). */
function scalars(root: PickleValue): Record<string, unknown> {
  if (!root || typeof root !== "object" || Array.isArray(root) || Buffer.isBuffer(root) || root.kind !== "dict") return {};
  const plain = (v: PickleValue) => typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v)) || (typeof v === "string" && v.length <= 256);
  return Object.fromEntries(root.entries.filter(([key, value]) => typeof key === "string" && plain(value)).map(([key, value]) => [key as string, value]));
}

/** Row-major contiguous: then the tensor's bytes are one range of its storage. */
function contiguous(tensor: TensorRef): boolean {
  let expected = 1;
  for (let i = tensor.shape.length - 1; i >= 0; i -= 1) {
    const size = tensor.shape[i] ?? 0;
    if (size !== 1 && tensor.stride[i] !== expected) return false;
    expected *= size;
  }
  return true;
}
