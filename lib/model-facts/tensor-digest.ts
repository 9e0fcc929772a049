import "server-only";
import { createHash } from "node:crypto";
import { ModelFactsProblem, type ByteSource, type TensorInfo } from "./readers/source";

/** Bytes read at once while hashing a tensor: memory stays at this, whatever the tensor's size. */
export const DIGEST_CHUNK = 8 * 1024 * 1024;

type Ranged = TensorInfo & { range: { offset: number; length: number } };

/**
 * The SHA-256 of each tensor's data bytes (its `range` as a reader found it), keyed by name; a
 * tensor without a range gets none. Ranges are read in file order in chunks of at most
 * `DIGEST_CHUNK`, so the file streams once front to back in constant memory; tensors sharing one
 * range (tied weights) are hashed once. A source that ends early is a problem naming the tensor.
 */
export async function digestTensors(source: ByteSource, tensors: TensorInfo[], opts: { chunk?: number } = {}): Promise<Record<string, string>> {
  const chunk = opts.chunk ?? DIGEST_CHUNK;
  const ordered = tensors.filter((t): t is Ranged => t.range !== null).sort((a, b) => a.range.offset - b.range.offset || a.range.length - b.range.length);
  const digests: Record<string, string> = {};
  let previous: { offset: number; length: number; digest: string } | null = null;
  for (const tensor of ordered) {
    const { offset, length } = tensor.range;
    if (previous && previous.offset === offset && previous.length === length) {
      digests[tensor.name] = previous.digest;
      continue;
    }
    const hash = createHash("sha256");
    for (let done = 0; done < length; ) {
      const want = Math.min(chunk, length - done);
      const bytes = (await source.read(offset + done, want)).subarray(0, want);
      if (bytes.length === 0) throw new ModelFactsProblem(`tensor '${tensor.name}' ends past the end of the file (${source.size} bytes)`);
      hash.update(bytes);
      done += bytes.length;
    }
    previous = { offset, length, digest: hash.digest("hex") };
    digests[tensor.name] = previous.digest;
  }
  return digests;
}
