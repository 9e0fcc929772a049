import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FileUrlStorage } from "@/lib/cli/tus";

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const upload = (n: number) => ({
  size: n,
  metadata: { path: `f${n}.bin` },
  creationTime: new Date(0).toISOString(),
  urlStorageKey: "",
  uploadUrl: `http://server/api/v1/uploads/${n}`,
  parallelUploadUrls: null,
});

describe("the CLI's file-based tus URL storage", () => {
  it("keeps every upload added at once, finds them by fingerprint and forgets removed ones", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "cairn-urls-"));
    const file = path.join(dir, "cairn", "uploads.json");
    const storage = new FileUrlStorage(file);
    const keys = await Promise.all(Array.from({ length: 10 }, (_, n) => storage.addUpload(`fp-${n % 2}`, upload(n))));
    expect(new Set(keys).size).toBe(10);
    expect((await storage.findAllUploads()).length).toBe(10);
    const odd = await storage.findUploadsByFingerprint("fp-1");
    expect(odd.map((u) => u.uploadUrl).sort()).toEqual([1, 3, 5, 7, 9].map((n) => `http://server/api/v1/uploads/${n}`));
    // "fp-1" must not match "fp-10"-style prefixes of other fingerprints.
    await storage.addUpload("fp-10", upload(10));
    expect((await storage.findUploadsByFingerprint("fp-1")).length).toBe(5);

    await storage.removeUpload(odd[0].urlStorageKey);
    expect((await storage.findUploadsByFingerprint("fp-1")).length).toBe(4);
    // A second instance (the next run of the CLI) sees the same state.
    expect((await new FileUrlStorage(file).findAllUploads()).length).toBe(10);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, "utf8"))).not.toHaveProperty(odd[0].urlStorageKey);
  });
});
