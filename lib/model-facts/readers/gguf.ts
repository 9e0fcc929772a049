import "server-only";
import { HeaderCursor } from "./cursor";
import { ModelFactsProblem, type ByteSource, type TensorInfo } from "./source";

/** Metadata (tokenizer vocabularies included) and tensor infos of real files stay far below this. */
const MAX_HEADER = 256 * 1024 * 1024;
const MAX_STRING = 16 * 1024 * 1024;
/** Entries of one metadata array (a tokenizer vocabulary is ~10^5–10^6). */
const MAX_COUNT = 50_000_000;
/** Real files have tens of metadata keys and at most ~10^5 tensors; each one kept costs memory. */
const MAX_METADATA = 100_000;
const MAX_TENSORS = 1_000_000;
const MAX_DIMS = 8;

/** ggml tensor types (`GGMLQuantizationType` of @huggingface/gguf): name, elements per block, bytes per block. */
export const GGML_TYPES: Record<number, [string, number, number]> = {
  0: ["F32", 1, 4],
  1: ["F16", 1, 2],
  2: ["Q4_0", 32, 18],
  3: ["Q4_1", 32, 20],
  6: ["Q5_0", 32, 22],
  7: ["Q5_1", 32, 24],
  8: ["Q8_0", 32, 34],
  9: ["Q8_1", 32, 36],
  10: ["Q2_K", 256, 84],
  11: ["Q3_K", 256, 110],
  12: ["Q4_K", 256, 144],
  13: ["Q5_K", 256, 176],
  14: ["Q6_K", 256, 210],
  15: ["Q8_K", 256, 292],
  16: ["IQ2_XXS", 256, 66],
  17: ["IQ2_XS", 256, 74],
  18: ["IQ3_XXS", 256, 98],
  19: ["IQ1_S", 256, 50],
  20: ["IQ4_NL", 32, 18],
  21: ["IQ3_S", 256, 110],
  22: ["IQ2_S", 256, 82],
  23: ["IQ4_XS", 256, 136],
  24: ["I8", 1, 1],
  25: ["I16", 1, 2],
  26: ["I32", 1, 4],
  27: ["I64", 1, 8],
  28: ["F64", 1, 8],
  29: ["IQ1_M", 256, 56],
  30: ["BF16", 1, 2],
  34: ["TQ1_0", 256, 54],
  35: ["TQ2_0", 256, 66],
  39: ["MXFP4", 32, 17],
  40: ["NVFP4", 64, 36],
  41: ["Q1_0", 128, 18],
  42: ["Q2_0", 64, 18],
};

/** llama.cpp's `general.file_type` (`GGMLFileQuantizationType`): the quantization a whole file was made with. */
export const FILE_TYPES: Record<number, string> = {
  0: "F32",
  1: "F16",
  2: "Q4_0",
  3: "Q4_1",
  4: "Q4_1_SOME_F16",
  5: "Q4_2",
  6: "Q4_3",
  7: "Q8_0",
  8: "Q5_0",
  9: "Q5_1",
  10: "Q2_K",
  11: "Q3_K_S",
  12: "Q3_K_M",
  13: "Q3_K_L",
  14: "Q4_K_S",
  15: "Q4_K_M",
  16: "Q5_K_S",
  17: "Q5_K_M",
  18: "Q6_K",
  19: "IQ2_XXS",
  20: "IQ2_XS",
  21: "Q2_K_S",
  22: "IQ3_XS",
  23: "IQ3_XXS",
  24: "IQ1_S",
  25: "IQ4_NL",
  26: "IQ3_S",
  27: "IQ3_M",
  28: "IQ2_S",
  29: "IQ2_M",
  30: "IQ4_XS",
  31: "IQ1_M",
  32: "BF16",
  33: "Q4_0_4_4",
  34: "Q4_0_4_8",
  35: "Q4_0_8_8",
  36: "TQ1_0",
  37: "TQ2_0",
  38: "MXFP4_MOE",
  39: "NVFP4",
  40: "Q1_0",
  41: "Q2_0",
};

/** Scalar metadata value sizes by GGUF value type; 8 (string) and 9 (array) are read apart. */
const SCALAR_BYTES: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

type Value = number | boolean | string | Value[] | { arrayOf: number; count: number };

/**
 * Reads a GGUF (v2, v3) header: metadata key/values, then each tensor's name, dims, ggml type and
 * offset. Arrays longer than a few entries (tokenizer vocabularies) are skipped, not kept; only
 * the header is read, through bounded windows.
 */
export async function readGguf(source: ByteSource): Promise<{ format: "gguf"; tensors: TensorInfo[]; metadata: Record<string, unknown> }> {
  const cursor = new HeaderCursor(source, MAX_HEADER, "GGUF header");
  const magic = (await cursor.bytes(4)).toString("latin1");
  if (magic !== "GGUF") throw new ModelFactsProblem(`does not start with the GGUF magic (found ${JSON.stringify(magic)})`);
  const version = await cursor.u32();
  if (version < 2 || version > 3) {
    const bigEndian = version >>> 24 >= 2 && version >>> 24 <= 3 && (version & 0xffffff) === 0;
    throw new ModelFactsProblem(`is GGUF version ${version}${bigEndian ? " (a big-endian file)" : ""}; little-endian versions 2 and 3 are read`);
  }
  const tensorCount = await cursor.u64("tensor count");
  const kvCount = await cursor.u64("metadata count");
  if (tensorCount > MAX_TENSORS) throw new ModelFactsProblem(`claims ${tensorCount} tensors, above the limit of ${MAX_TENSORS}`);
  if (kvCount > MAX_METADATA) throw new ModelFactsProblem(`claims ${kvCount} metadata entries, above the limit of ${MAX_METADATA}`);

  const string = async (what: string) => {
    const length = await cursor.u64(`${what} length`);
    if (length > MAX_STRING) throw new ModelFactsProblem(`${what} is ${length} bytes long`);
    return (await cursor.bytes(length)).toString("utf8");
  };
  const value = async (type: number, depth: number): Promise<Value> => {
    switch (type) {
      case 0:
        return cursor.u8();
      case 1:
        return (await cursor.u8()) << 24 >> 24;
      case 2:
        return cursor.u16();
      case 3:
        return (await cursor.u16()) << 16 >> 16;
      case 4:
        return cursor.u32();
      case 5:
        return cursor.i32();
      case 6:
        return cursor.f32();
      case 7:
        return (await cursor.u8()) !== 0;
      case 8:
        return string("a string value");
      case 10:
        return cursor.u64("a u64 value").catch(() => Number.NaN);
      case 11:
        return cursor.i64();
      case 12:
        return cursor.f64();
      case 9: {
        if (depth > 2) throw new ModelFactsProblem("has arrays nested more than two deep");
        const itemType = await cursor.u32();
        const count = await cursor.u64("array length");
        if (count > MAX_COUNT) throw new ModelFactsProblem(`has an array of ${count} entries`);
        const scalar = SCALAR_BYTES[itemType];
        if (scalar !== undefined && count > 16) {
          cursor.skip(scalar * count);
          return { arrayOf: itemType, count };
        }
        const items: Value[] = [];
        for (let i = 0; i < count; i += 1) {
          const item = await value(itemType, depth + 1);
          if (i < 16) items.push(item);
        }
        return count > 16 ? { arrayOf: itemType, count } : items;
      }
      default:
        throw new ModelFactsProblem(`has a metadata value of unknown type ${type}`);
    }
  };

  const meta: Record<string, Value> = {};
  for (let i = 0; i < kvCount; i += 1) {
    const key = await string("a metadata key");
    meta[key] = await value(await cursor.u32(), 0);
  }

  const infos: { name: string; dims: number[]; type: number; offset: number }[] = [];
  for (let i = 0; i < tensorCount; i += 1) {
    const name = await string("a tensor name");
    const nDims = await cursor.u32();
    if (nDims > MAX_DIMS) throw new ModelFactsProblem(`tensor '${name}' has ${nDims} dimensions`);
    const dims: number[] = [];
    for (let d = 0; d < nDims; d += 1) dims.push(await cursor.u64(`tensor '${name}' dimension`));
    infos.push({ name, dims, type: await cursor.u32(), offset: await cursor.u64(`tensor '${name}' offset`) });
  }
  const alignment = typeof meta["general.alignment"] === "number" && meta["general.alignment"] > 0 ? meta["general.alignment"] : 32;
  const dataStart = Math.ceil(cursor.position / alignment) * alignment;

  const tensors = infos.map(({ name, dims, type, offset }): TensorInfo => {
    const parameters = dims.reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(parameters)) throw new ModelFactsProblem(`tensor '${name}' has dimensions ${JSON.stringify(dims)}, more elements than any file holds`);
    const known = GGML_TYPES[type];
    const length = known ? Math.ceil(parameters / known[1]) * known[2] : null;
    const begin = dataStart + offset;
    if (length !== null && begin + length > source.size) throw new ModelFactsProblem(`tensor '${name}' ends past the end of the file`);
    // GGUF lists dims innermost first; shapes elsewhere are outermost first.
    return { name, dtype: known?.[0] ?? `GGML_${type}`, shape: [...dims].reverse(), parameters, range: length === null ? null : { offset: begin, length } };
  });

  const fileType = meta["general.file_type"];
  const architecture = typeof meta["general.architecture"] === "string" ? meta["general.architecture"] : null;
  return {
    format: "gguf",
    tensors,
    metadata: {
      architecture,
      name: typeof meta["general.name"] === "string" ? meta["general.name"] : null,
      quantization: typeof fileType === "number" ? (FILE_TYPES[fileType] ?? `file type ${fileType}`) : null,
      tokenizer: typeof meta["tokenizer.ggml.model"] === "string",
      contextLength: architecture && typeof meta[`${architecture}.context_length`] === "number" ? meta[`${architecture}.context_length`] : null,
      version,
    },
  };
}
