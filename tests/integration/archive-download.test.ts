import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as archive from "@/app/api/v1/checkpoints/[ref]/archive/route";
import { tarEntryHeader, tarSize } from "@/lib/archive/create-tar";
import { zipSize } from "@/lib/archive/create-zip";
import { addMember, call, createCheckpoint, expectError, readyCheckpoint, signUpWithToken, testDatabases, useApiSuite } from "../helpers/api-suite";

// Paths that exercise every header form: short, ustar prefix split, pax (long and non-ASCII), nested.
const longDir = `${"deep-folder-".repeat(12)}end`;
const contents: Record<string, Buffer> = {
  "model.safetensors": randomBytes(3 * 1024 * 1024 + 17),
  "config.json": Buffer.from('{"model_type":"llama"}\n'),
  "empty.txt": Buffer.alloc(0),
  "exactly-512.bin": randomBytes(512),
  [`${longDir}/tokenizer/vocab.json`]: randomBytes(1000),
  [`${"n".repeat(120)}/${"x".repeat(110)}.bin`]: randomBytes(2048),
  "données/模型-权重.bin": randomBytes(4096),
};

describe.each(testDatabases)("Download all as tar and zip on %s", (kind) => {
  const { owner, stranger } = useApiSuite(kind, { users: ["owner", "stranger"] }).users;
  let work: string;

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), "cairn-archive-dl-"));
    await readyCheckpoint(owner, "llama-archive", contents);
    expect((await createCheckpoint(owner, "still-uploading")).status).toBe(201);
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const download = (format: string, ref = "llama-archive", token = owner.token) =>
    call(archive.GET, "/x", { token, params: { ref }, query: { format } });

  /** Saves the body, checks Content-Length against it, unpacks it with `unpack` and compares every file. */
  async function unpackAndCompare(response: Response, name: string, unpack: (archivePath: string, into: string) => void) {
    const body = Buffer.from(await response.arrayBuffer());
    expect(Number(response.headers.get("content-length"))).toBe(body.length);
    const archivePath = path.join(work, name);
    writeFileSync(archivePath, body);
    const into = mkdtempSync(path.join(work, "out-"));
    unpack(archivePath, into);
    for (const [filePath, bytes] of Object.entries(contents)) {
      expect(readFileSync(path.join(into, filePath)).equals(bytes), filePath).toBe(true);
    }
    const listed = execFileSync("find", [into, "-type", "f"], { encoding: "utf8" }).trim().split("\n");
    expect(listed).toHaveLength(Object.keys(contents).length);
  }

  it("streams a tar whose Content-Length is exact and which GNU tar unpacks byte for byte", async () => {
    const response = await download("tar");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/x-tar");
    expect(response.headers.get("content-disposition")).toBe(`attachment; filename="llama-archive.tar"; filename*=UTF-8''llama-archive.tar`);
    await unpackAndCompare(response, "a.tar", (archivePath, into) => execFileSync("tar", ["-xf", archivePath, "-C", into]));
  });

  it("streams a stored zip with an exact Content-Length which unzip unpacks and verifies (CRC-32)", async () => {
    const response = await download("zip");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/zip");
    expect(response.headers.get("content-disposition")).toContain('filename="llama-archive.zip"');
    await unpackAndCompare(response, "a.zip", (archivePath, into) => {
      const test = execFileSync("unzip", ["-t", archivePath], { encoding: "utf8" });
      expect(test).toContain("No errors detected");
      execFileSync("unzip", ["-q", archivePath, "-d", into]);
    });
  });

  it("plans zip64 records for entries and offsets past 4 GiB, without reading any bytes", () => {
    const big = 5 * 1024 ** 3;
    // local header + name + data + zip64 descriptor, central header + name + zip64 extra, zip64 end records + EOCD
    expect(zipSize([{ path: "a.bin", size: big }])).toBe(30 + 5 + big + 24 + 46 + 5 + 28 + 56 + 20 + 22);
    // The second entry is small, but starts past 4 GiB: its offset needs the zip64 extra too.
    expect(zipSize([{ path: "a.bin", size: big }, { path: "b", size: 1 }])).toBe(30 + 5 + big + 24 + 30 + 1 + 1 + 24 + 46 + 5 + 28 + 46 + 1 + 28 + 56 + 20 + 22);
    expect(zipSize([{ path: "a.bin", size: 10 }])).toBe(30 + 5 + 10 + 16 + 46 + 5 + 22);
  });

  it("computes pax headers for sizes past ustar's 8 GiB limit without reading any bytes", () => {
    const huge = 9 * 1024 ** 3 + 5;
    const header = tarEntryHeader({ path: "shard.bin", size: huge }, 0);
    expect(header.length).toBe(3 * 512);
    expect(header.subarray(512, 1024).toString("utf8")).toContain(`size=${huge}\n`);
    expect(tarSize([{ path: "shard.bin", size: huge }], 0)).toBe(3 * 512 + huge + 507 + 1024);
  });

  it("answers 409 for a checkpoint that is not ready, 400 for a bad format, 404 across orgs, and serves viewers", async () => {
    const pending = await expectError(await download("tar", "still-uploading"), 409, "conflict");
    expect(pending.error.message).toContain("only a ready checkpoint can be downloaded");
    await expectError(await download("rar"), 400, "invalid_request");
    await expectError(await download("zip", "llama-archive", stranger.token), 404, "not_found");
    const viewer = await signUpWithToken("viewer");
    await addMember(owner, viewer, "viewer");
    const asViewer = await call(archive.GET, "/x", { token: viewer.token, headers: { "x-cairn-org": owner.orgId }, params: { ref: "llama-archive" }, query: { format: "tar" } });
    expect(asViewer.status).toBe(200);
    await asViewer.arrayBuffer();
  });
});
