import { describe, expect, it } from "vitest";
import { inParallel } from "@/lib/async/in-parallel";

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe("inParallel", () => {
  it("runs every item with at most `limit` in flight", async () => {
    let inFlight = 0;
    let peak = 0;
    const done: number[] = [];
    await inParallel([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      peak = Math.max(peak, ++inFlight);
      await tick();
      done.push(n);
      inFlight -= 1;
    });
    expect(peak).toBe(3);
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it("throws the first failure and starts nothing after it", async () => {
    const started: number[] = [];
    const run = inParallel([1, 2, 3, 4, 5], 1, async (n) => {
      started.push(n);
      if (n === 2) throw new Error("item 2 broke");
    });
    await expect(run).rejects.toThrow("item 2 broke");
    expect(started).toEqual([1, 2]);
  });
});
