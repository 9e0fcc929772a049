import "server-only";
import { parseJsonObject } from "./bounded-json";
import { ModelFactsProblem, type ByteSource, type TensorInfo } from "./source";

/** The format allows 100 MB headers; more than that is not a real checkpoint. */
export const MAX_SAFETENSORS_HEADER = 100 * 1024 * 1024;
/** A shard index names every tensor once; the largest real ones are a few MB. */
export const MAX_SAFETENSORS_INDEX = 32 * 1024 * 1024;
/** JSON nested deeper than a header ever is (it is two levels) is refused before it is parsed. */
const MAX_DEPTH = 16;

const ITEM_BITS: Record<string, number> = {
  BOOL: 8,
  U8: 8,
  I8: 8,
  F8_E4M3: 8,
  F8_E5M2: 8,
  F8_E8M0: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  F64: 64,
  I64: 64,
  U64: 64,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
};

export type SafetensorsReading = { format: "safetensors"; tensors: TensorInfo[]; metadata: Record<string, string> };

/**
 * Reads a safetensors header: an unsigned 64-bit little-endian length, then that many bytes of
 * JSON naming each tensor's dtype, shape and data offsets (relative to the end of the header).
 * Two reads; every claim is checked against the file before it is believed, and tensors may not
 * share bytes (a diff hashes each range, so overlapping ones would be a lie).
 */
export async function readSafetensors(source: ByteSource): Promise<SafetensorsReading> {
  if (source.size < 8) throw new ModelFactsProblem(`is ${source.size} bytes, shorter than a safetensors header length (8 bytes)`);
  const length = (await source.read(0, 8)).readBigUInt64LE(0);
  if (length > BigInt(source.size - 8)) throw new ModelFactsProblem(`header length ${length} is past the end of the file (${source.size} bytes)`);
  if (length > BigInt(MAX_SAFETENSORS_HEADER)) throw new ModelFactsProblem(`header length ${length} is above the ${MAX_SAFETENSORS_HEADER}-byte limit`);
  const headerLength = Number(length);
  const header = parseJsonObject(await source.read(8, headerLength), "header", MAX_DEPTH, "; a safetensors header has 3");

  const dataStart = 8 + headerLength;
  const dataSize = source.size - dataStart;
  const tensors: (TensorInfo & { begin: number; end: number })[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") {
      metadata = stringMap(entry);
      continue;
    }
    const tensor = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    const dtype = typeof tensor?.dtype === "string" ? tensor.dtype : null;
    const shape = Array.isArray(tensor?.shape) && tensor.shape.every((n) => Number.isSafeInteger(n) && n >= 0) ? (tensor.shape as number[]) : null;
    const offsets = Array.isArray(tensor?.data_offsets) && tensor.data_offsets.length === 2 && tensor.data_offsets.every((n) => Number.isSafeInteger(n) && n >= 0) ? (tensor.data_offsets as [number, number]) : null;
    if (!dtype || !shape || !offsets) throw new ModelFactsProblem(`tensor '${name}' has no valid dtype, shape and data_offsets`);
    const [begin, end] = offsets;
    if (end < begin || end > dataSize) throw new ModelFactsProblem(`tensor '${name}' claims bytes ${begin}–${end}, outside the ${dataSize} bytes of data`);
    const parameters = shape.reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(parameters)) throw new ModelFactsProblem(`tensor '${name}' has a shape of ${parameters} elements`);
    const bits = ITEM_BITS[dtype];
    if (bits !== undefined && Math.ceil((parameters * bits) / 8) !== end - begin) {
      throw new ModelFactsProblem(`tensor '${name}' (${dtype} ${JSON.stringify(shape)}) needs ${Math.ceil((parameters * bits) / 8)} bytes but spans ${end - begin}`);
    }
    tensors.push({ name, dtype, shape, parameters, range: { offset: dataStart + begin, length: end - begin }, begin, end });
  }

  // Sorted by start, a tensor overlaps an earlier one exactly when it starts before the furthest end so far.
  let furthest: (typeof tensors)[number] | null = null;
  for (const tensor of [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end)) {
    if (tensor.end === tensor.begin) continue;
    if (furthest && tensor.begin < furthest.end) {
      throw new ModelFactsProblem(`tensors '${furthest.name}' (bytes ${furthest.begin}–${furthest.end}) and '${tensor.name}' (bytes ${tensor.begin}–${tensor.end}) overlap`);
    }
    if (!furthest || tensor.end > furthest.end) furthest = tensor;
  }
  return { format: "safetensors", tensors: tensors.map(({ begin: _b, end: _e, ...tensor }) => tensor), metadata };
}

export type SafetensorsIndex = {
  /** Tensor name → shard file, relative to the index's folder. */
  weightMap: Record<string, string>;
  /** Each shard once, in name order. */
  shards: string[];
  /** `metadata.total_size`: the bytes of tensor data over all shards, when the index says. */
  totalSize: number | null;
};

/**
 * Reads `model.safetensors.index.json` (one read, bounded): which shard holds each tensor. Shard
 * names must stay inside the index's folder; each shard is then read with `readSafetensors`.
 */
export async function readSafetensorsIndex(source: ByteSource): Promise<SafetensorsIndex> {
  if (source.size > MAX_SAFETENSORS_INDEX) throw new ModelFactsProblem(`index is ${source.size} bytes, above the ${MAX_SAFETENSORS_INDEX}-byte limit`);
  const index = parseJsonObject(await source.read(0, source.size), "index", MAX_DEPTH);
  const map = index.weight_map;
  if (!map || typeof map !== "object" || Array.isArray(map)) throw new ModelFactsProblem("index has no weight_map object");
  const weightMap: Record<string, string> = {};
  for (const [tensor, shard] of Object.entries(map as Record<string, unknown>)) {
    if (typeof shard !== "string" || shard === "") throw new ModelFactsProblem(`index weight_map entry '${tensor}' is not a file name`);
    if (shard.startsWith("/") || shard.split(/[/\\]/).includes("..")) throw new ModelFactsProblem(`index weight_map entry '${tensor}' names '${shard}', outside the index's folder`);
    weightMap[tensor] = shard;
  }
  const meta = index.metadata as { total_size?: unknown } | undefined;
  const totalSize = typeof meta?.total_size === "number" && Number.isSafeInteger(meta.total_size) && meta.total_size >= 0 ? meta.total_size : null;
  return { weightMap, shards: [...new Set(Object.values(weightMap))].sort(), totalSize };
}

/** `__metadata__` is a map of strings to strings, by the spec. */
function stringMap(entry: unknown): Record<string, string> {
  if (!entry || typeof entry !== "object" || Array.isArray(entry)) throw new ModelFactsProblem("__metadata__ is not an object of strings");
  for (const [key, value] of Object.entries(entry)) {
    if (typeof value !== "string") throw new ModelFactsProblem(`__metadata__ '${key}' is not a string`);
  }
  return entry as Record<string, string>;
}
