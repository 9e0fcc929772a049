import "server-only";
import { readGguf } from "./readers/gguf";
import { readPytorch } from "./readers/pytorch";
import type { ByteSource, TensorInfo } from "./readers/source";
import { readSafetensors } from "./readers/safetensors";

export type { ByteSource, TensorInfo };

/** What the header of one weight file says: its tensors, and the scalars stored beside them. */
export type WeightsReading = {
  format: "safetensors" | "gguf" | "pytorch";
  tensors: TensorInfo[];
  metadata?: Record<string, unknown>;
};

/** The weight format a file's name promises, or null for everything else. */
export function weightFormatOf(file: string): WeightsReading["format"] | null {
  if (file.endsWith(".safetensors")) return "safetensors";
  if (file.endsWith(".gguf")) return "gguf";
  if (/\.(pt|pth|bin|ckpt)$/.test(file)) return "pytorch";
  return null;
}

/**
 * Reads one weight file's header by its name's format: safetensors, GGUF, or a PyTorch file
 * (`torch.save`'s zip or legacy format, or a bare pickle). Null when a `.pt`/`.bin` is neither.
 */
export async function readWeights(file: string, source: ByteSource): Promise<WeightsReading | null> {
  switch (weightFormatOf(file)) {
    case "safetensors":
      return readSafetensors(source);
    case "gguf":
      return readGguf(source);
    case "pytorch":
      return readPytorch(source);
    default:
      return null;
  }
}
