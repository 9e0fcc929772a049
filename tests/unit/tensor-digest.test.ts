import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ModelFactsProblem, type ByteSource, type TensorInfo } from "@/lib/model-facts/readers/source";
import { digestTensors } from "@/lib/model-facts/tensor-digest";

const sha = (data: Buffer) => createHash("sha256").update(data).digest("hex");
const tensor = (name: string, offset: number, length: number): TensorInfo => ({ name, dtype: "U8", shape: [length], parameters: length, range: { offset, length } });

/** A source whose stream yields odd-sized chunks, counting the reads and the bytes it served. */
function streamingSource(data: Buffer, chunk: number) {
  const served = { streams: 0, reads: 0, bytes: 0 };
  const source: ByteSource = {
    size: data.length,
    read: async (offset, length) => {
      served.reads += 1;
      return data.subarray(offset, offset + length);
    },
    async *stream(start, end) {
      served.streams += 1;
      for (let at = start; at < Math.min(end, data.length); at += chunk) {
        const bytes = data.subarray(at, Math.min(at + chunk, end, data.length));
        served.bytes += bytes.length;
        yield bytes;
      }
    },
  };
  return { source, served };
}

describe("per-tensor digests", () => {
  const data = randomBytes(10_000);
  // Gaps between tensors, a tied pair, a view inside another, an empty tensor and one without a range.
  const tensors = [
    tensor("a", 100, 3000),
    tensor("tied", 100, 3000),
    tensor("view", 1500, 200),
    tensor("b", 3500, 4000),
    tensor("empty", 7500, 0),
    tensor("c", 9000, 1000),
    { ...tensor("nowhere", 0, 0), range: null },
  ];
  const expected = Object.fromEntries(tensors.filter((t) => t.range).map((t) => [t.name, sha(data.subarray(t.range!.offset, t.range!.offset + t.range!.length))]));

  it("streams the file once and hashes every range, overlapping or tied, exactly", async () => {
    for (const chunk of [1, 7, 333, 4096, 20_000]) {
      const { source, served } = streamingSource(data, chunk);
      expect(await digestTensors(source, tensors)).toEqual(expected);
      expect(served).toMatchObject({ streams: 1, reads: 0, bytes: 10_000 - 100 });
    }
  });

  it("reads ranges one by one from a source without a stream, with the same answer", async () => {
    const source: ByteSource = { size: data.length, read: async (offset, length) => data.subarray(offset, offset + length) };
    expect(await digestTensors(source, tensors, { chunk: 999 })).toEqual(expected);
  });

  it("names the tensor a short file cuts off", async () => {
    const { source } = streamingSource(data.subarray(0, 8000), 512);
    const digest = digestTensors(source, tensors);
    await expect(digest).rejects.toThrow(ModelFactsProblem);
    await expect(digest).rejects.toThrow("tensor 'c' ends past the end of the file");
  });
});
