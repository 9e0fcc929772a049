import { describe, expect, it } from "vitest";
import { globToLike } from "@/lib/db/queries/retention";
import { ruleSummary } from "@/lib/retention/kinds";
import { bytesFreedInOrder, planRetention, type PlanCandidate } from "@/lib/retention/plan";

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute));
const candidate = (id: string, minute: number, extra: Partial<PlanCandidate> = {}): PlanCandidate => ({
  id,
  createdAt: at(minute),
  pinned: false,
  visibility: "private",
  inUse: false,
  factsRead: true,
  metric: null,
  ...extra,
});

describe("retention plan", () => {
  it("keeps the latest N and the best K, always the pinned, public and in-use ones, and deletes the rest oldest first", () => {
    const candidates = [
      candidate("a", 1, { metric: 0.5 }),
      candidate("b", 2, { metric: 0.9, pinned: true }),
      candidate("c", 3, { metric: 0.4 }),
      candidate("d", 4, { metric: 0.8, visibility: "public" }),
      candidate("e", 5, { metric: 0.7, inUse: true }),
      candidate("f", 6, { metric: 0.6 }),
      candidate("g", 7, { metric: null }),
      candidate("h", 8, { metric: 1.2 }),
      candidate("i", 9, { metric: 1.1 }),
    ];
    const plan = planRetention(candidates, { keepLatest: 2, keepBest: { k: 2, metric: "eval_loss", mode: "min" } });
    expect(plan.keep.map((k) => [k.candidate.id, k.reason])).toEqual([
      ["i", "latest"],
      ["h", "latest"],
      ["e", "in-use"],
      ["d", "public"],
      ["c", "best"],
      ["b", "pinned"],
      ["a", "best"],
    ]);
    expect(plan.delete.map((c) => c.id)).toEqual(["f", "g"]);
    const highest = planRetention(candidates, { keepLatest: null, keepBest: { k: 1, metric: "accuracy", mode: "max" } });
    expect(highest.keep.filter((k) => k.reason === "best").map((k) => k.candidate.id)).toEqual(["h"]);
  });

  it("keeps a checkpoint whose facts are not read yet under a best-K rule, and breaks ties for the newer", () => {
    const candidates = [candidate("old", 1, { metric: 0.3 }), candidate("new", 2, { metric: 0.3 }), candidate("unread", 3, { factsRead: false })];
    const plan = planRetention(candidates, { keepLatest: null, keepBest: { k: 1, metric: "eval_loss", mode: "min" } });
    expect(plan.keep.map((k) => [k.candidate.id, k.reason])).toEqual([
      ["unread", "facts-pending"],
      ["new", "best"],
    ]);
    expect(plan.delete.map((c) => c.id)).toEqual(["old"]);
    expect(planRetention(candidates, { keepLatest: 1, keepBest: null }).delete.map((c) => c.id)).toEqual(["old", "new"]);
  });

  it("attributes a blob shared inside the deleted set to the last deletion that holds it", () => {
    const freed = bytesFreedInOrder(
      ["a", "b", "c"],
      [
        { checkpointId: "a", sha256: "own-a", size: 10, heldElsewhereInOrg: false },
        { checkpointId: "a", sha256: "shared-ab", size: 100, heldElsewhereInOrg: false },
        { checkpointId: "b", sha256: "shared-ab", size: 100, heldElsewhereInOrg: false },
        { checkpointId: "c", sha256: "kept-elsewhere", size: 1000, heldElsewhereInOrg: true },
      ],
    );
    expect([...freed]).toEqual([
      ["a", 10],
      ["b", 100],
      ["c", 0],
    ]);
  });

  it("reads globs as LIKE patterns and rules as sentences", () => {
    expect(globToLike("run_*-step-?")).toBe("run\\_%-step-_");
    expect(ruleSummary({ keepLatest: 3, keepBest: { k: 1, metric: "accuracy", mode: "max" } })).toBe("Keep the latest 3 and the best by accuracy (highest)");
    expect(ruleSummary({ keepLatest: 1 })).toBe("Keep the latest");
  });
});
