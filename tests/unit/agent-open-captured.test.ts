import { lstatSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ChangedWhileCapturing, openCaptured } from "@/lib/agent/capture-upload";

const root = mkdtempSync(path.join(os.tmpdir(), "cairn-open-captured-"));
const outputs = path.join(root, "outputs");
const outside = path.join(root, "outside");
mkdirSync(path.join(outputs, "step-1"), { recursive: true });
mkdirSync(outside);
writeFileSync(path.join(outside, "secret"), "only the agent may read this");

const scanned = (relative: string) => {
  const absolute = path.join(outputs, relative);
  const info = lstatSync(absolute);
  return { absolute, path: relative, size: info.size, mtimeMs: info.mtimeMs };
};

describe("reading a captured file (the job may swap files under the agent)", () => {
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("reads the file the scan saw through its descriptor, even after its path is replaced", async () => {
    writeFileSync(path.join(outputs, "step-1", "w.bin"), "weights");
    const file = scanned("step-1/w.bin");
    const opened = await openCaptured(file, outputs);
    renameSync(path.join(outputs, "step-1", "w.bin"), path.join(outputs, "step-1", "moved"));
    symlinkSync(path.join(outside, "secret"), path.join(outputs, "step-1", "w.bin"));
    expect(readFileSync(opened.path, "utf8")).toBe("weights");
    await opened.close();
  });

  it("refuses a file swapped for a link, a changed file and a parent swapped for a link out", async () => {
    writeFileSync(path.join(outputs, "step-1", "a.bin"), "a");
    const file = scanned("step-1/a.bin");
    rmSync(file.absolute);
    symlinkSync(path.join(outside, "secret"), file.absolute);
    await expect(openCaptured(file, outputs)).rejects.toBeInstanceOf(ChangedWhileCapturing);

    writeFileSync(path.join(outputs, "step-1", "b.bin"), "b");
    const grown = scanned("step-1/b.bin");
    writeFileSync(grown.absolute, "bigger now");
    await expect(openCaptured(grown, outputs)).rejects.toThrow("changed while it was captured");

    mkdirSync(path.join(outputs, "step-2"));
    writeFileSync(path.join(outputs, "step-2", "secret"), "x".repeat(28));
    const parent = scanned("step-2/secret");
    rmSync(path.join(outputs, "step-2"), { recursive: true });
    symlinkSync(outside, path.join(outputs, "step-2"));
    const planted = { ...parent, size: 28, mtimeMs: lstatSync(path.join(outside, "secret")).mtimeMs };
    await expect(openCaptured(planted, outputs)).rejects.toThrow("leads outside the output directory");
  });
});
