import { describe, expect, it } from "vitest";
import { TrailingWork, withTrailingWork } from "@/lib/async/trailing-work";

const later = (ms: number, fail?: string) =>
  new Promise<void>((resolve, reject) => setTimeout(() => (fail ? reject(new Error(fail)) : resolve()), ms));

describe("TrailingWork", () => {
  it("keeps at most `limit` pieces running: add waits for the oldest when the window is full", async () => {
    const work = new TrailingWork(2);
    const finished: number[] = [];
    const piece = (n: number, ms: number) => later(ms).then(() => void finished.push(n));
    await work.add(piece(1, 40));
    await work.add(piece(2, 40));
    expect(finished).toEqual([]);
    await work.add(piece(3, 1));
    expect(finished).toContain(1);
    await work.drain();
    expect(finished.sort()).toEqual([1, 2, 3]);
  });

  it("throws the first failure from add once it is seen, and from drain after everything settled", async () => {
    const work = new TrailingWork(1);
    await work.add(later(5, "flush of a broke"));
    await expect(work.add(later(1))).rejects.toThrow("flush of a broke");
    let settled = false;
    const slow = new TrailingWork(4);
    await slow.add(later(1, "first"));
    await slow.add(later(30).then(() => void (settled = true)));
    await expect(slow.drain()).rejects.toThrow("first");
    expect(settled).toBe(true);
  });

  it("withTrailingWork lets the trailing work settle before a failed loop's error is thrown", async () => {
    let settled = false;
    const run = withTrailingWork(4, async (trailing) => {
      await trailing.add(later(30).then(() => void (settled = true)));
      throw new Error("the loop broke");
    });
    await expect(run).rejects.toThrow("the loop broke");
    expect(settled).toBe(true);
    await expect(withTrailingWork(4, async (trailing) => trailing.add(later(1, "a flush broke")))).rejects.toThrow("a flush broke");
    expect(await withTrailingWork(2, async () => 42)).toBe(42);
  });
});
