import "server-only";
import { open } from "node:fs/promises";

/**
 * Random access to one file's bytes: the readers ask for a few small ranges, never the whole.
 * `stream`, where the source has one, yields [start, end) front to back in chunks it chooses, for
 * callers that do read everything (per-tensor digests); without it they read ranges one by one.
 */
export type ByteSource = {
  size: number;
  read(offset: number, length: number): Promise<Buffer>;
  stream?(start: number, end: number): AsyncIterable<Buffer>;
};

/** One tensor a header names; `range` is the absolute byte range of its data, or null when unknown. */
export type TensorInfo = {
  name: string;
  dtype: string;
  shape: number[];
  parameters: number;
  range: { offset: number; length: number } | null;
  /**
   * "optimizer": training state inside a training checkpoint (the optimizer's, and a scheduler's or
   * RNG's beside it), not the model's parameters; count the model by the "model" ones.
   */
  group?: "model" | "optimizer";
};

/** A file whose header cannot be read: the message names the part and why, for the Model card. */
export class ModelFactsProblem extends Error {
  override name = "ModelFactsProblem";
}

/** A ByteSource over a local file; each read opens, reads and closes it. */
export function fileSource(filePath: string, size: number): ByteSource {
  return {
    size,
    async read(offset, length) {
      const handle = await open(filePath, "r");
      try {
        const buffer = Buffer.alloc(Math.max(0, Math.min(length, size - offset)));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
        return buffer.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    },
  };
}
