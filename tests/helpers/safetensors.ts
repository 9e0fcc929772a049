/** One tensor of a test file: its bytes are all `fill`, or a fixed pattern without one. */
export type TestTensor = { dtype?: "F32" | "BF16" | "F16" | "I64"; shape: number[]; fill?: number };

const ITEM_BYTES = { F32: 4, BF16: 2, F16: 2, I64: 8 } as const;

/**
 * A safetensors file written to the format's spec, as the tests' fixture: an unsigned 64-bit
 * little-endian header length, the JSON header (dtype, shape, data_offsets; optional
 * `__metadata__`), then each tensor's bytes in order.
 */
export function safetensorsFile(tensors: Record<string, TestTensor>, metadata?: Record<string, string>): Buffer {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  const parts: Buffer[] = [];
  let offset = 0;
  for (const [name, { dtype = "F32", shape, fill }] of Object.entries(tensors)) {
    const size = shape.reduce((a, b) => a * b, 1) * ITEM_BYTES[dtype];
    header[name] = { dtype, shape, data_offsets: [offset, offset + size] };
    const data = Buffer.alloc(size, fill ?? 0);
    if (fill === undefined) for (let i = 0; i < size; i += 1) data[i] = (offset + i) % 251;
    parts.push(data);
    offset += size;
  }
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, ...parts]);
}
