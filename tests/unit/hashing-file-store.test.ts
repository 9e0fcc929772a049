import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { Upload } from "@tus/server";
import { afterAll, describe, expect, it } from "vitest";
import { HashingFileStore } from "@/lib/uploads/hashing-file-store";

const dir = mkdtempSync(path.join(os.tmpdir(), "cairn-hfs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("HashingFileStore", () => {
  it("knows the SHA-256 of an upload written in consecutive chunks", async () => {
    const store = new HashingFileStore({ directory: dir });
    const bytes = randomBytes(200_000);
    await store.create(new Upload({ id: "a", size: bytes.length, offset: 0 }));
    expect(await store.write(Readable.from([bytes.subarray(0, 70_000)]), "a", 0)).toBe(70_000);
    expect(await store.write(Readable.from([bytes.subarray(70_000)]), "a", 70_000)).toBe(bytes.length);
    expect(store.takeDigest("a", bytes.length)).toBe(createHash("sha256").update(bytes).digest("hex"));
  });

  it("gives up (null) when the chain of offsets breaks, e.g. after a restart", async () => {
    const before = new HashingFileStore({ directory: dir });
    const bytes = randomBytes(1000);
    await before.create(new Upload({ id: "b", size: bytes.length, offset: 0 }));
    await before.write(Readable.from([bytes.subarray(0, 400)]), "b", 0);
    const after = new HashingFileStore({ directory: dir });
    await after.write(Readable.from([bytes.subarray(400)]), "b", 400);
    expect(after.takeDigest("b", bytes.length)).toBeNull();
  });
});
