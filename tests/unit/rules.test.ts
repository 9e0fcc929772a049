import { describe, expect, it } from "vitest";
import { filePathProblem, nameProblem } from "@/lib/checkpoints/naming";
import { parseRange } from "@/lib/checkpoints/download";
import { formatAge, formatBytes } from "@/lib/format";

describe("naming rule", () => {
  it.each(["a", "llama-7b", "mistral_500.v2", "0", "a".repeat(63)])("accepts %j", (name) => {
    expect(nameProblem(name)).toBeNull();
  });
  it.each(["", "-a", "a-", ".a", "A", "a b", "a/b", "a".repeat(64), "ünï"])("refuses %j", (name) => {
    expect(nameProblem(name)).not.toBeNull();
  });
});

describe("file path rule", () => {
  it.each(["model.bin", "a/b/c.json", "with space/x", ".hidden", "a..b"])("accepts %j", (p) => {
    expect(filePathProblem(p)).toBeNull();
  });
  it.each(["", "/abs", "../x", "a/../b", "a//b", "a/", "a\\b", "./a", "a/."])("refuses %j", (p) => {
    expect(filePathProblem(p)).not.toBeNull();
  });
});

describe("sizes and ages like the reference CLI", () => {
  it("formats sizes in powers of 1024", () => {
    expect(formatBytes(360_490_000)).toBe("343.79 MB");
    expect(formatBytes(17 * 1024 ** 3)).toBe("17 GB");
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(0)).toBe("0 B");
  });
  it("formats ages", () => {
    const now = new Date("2026-01-20T12:00:00Z");
    expect(formatAge("2026-01-20T10:00:00Z", now)).toBe("2h");
    expect(formatAge("2026-01-04T12:00:00Z", now)).toBe("16d");
    expect(formatAge("2026-01-20T11:59:30Z", now)).toBe("30s");
  });
});

describe("Range header", () => {
  it("parses single ranges and suffixes", () => {
    expect(parseRange("bytes=0-99", 1000)).toEqual({ start: 0, end: 99 });
    expect(parseRange("bytes=900-", 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange("bytes=-100", 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange("bytes=0-5000", 1000)).toEqual({ start: 0, end: 999 });
  });
  it("ignores what it does not understand and refuses what is outside", () => {
    expect(parseRange(null, 1000)).toBeNull();
    expect(parseRange("bytes=0-1,5-9", 1000)).toBeNull();
    expect(parseRange("bytes=1000-", 1000)).toBe("unsatisfiable");
    expect(parseRange("bytes=-0", 1000)).toBe("unsatisfiable");
  });
});

describe("source types", () => {
  it("offers exactly the types that have an adapter, plus local uploads", async () => {
    const { AVAILABLE_SOURCE_TYPES } = await import("@/lib/checkpoints/source-types");
    const { registeredSourceTypes } = await import("@/lib/sources/registry");
    expect([...AVAILABLE_SOURCE_TYPES].sort()).toEqual(["local", ...registeredSourceTypes()].sort());
  });
});
