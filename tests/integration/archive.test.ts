import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, type ReadStream } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { create as createTar } from "tar";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZipFile } from "yazl";
import { archiveKind, archiveLimits, extractArchive, type ArchiveLimits } from "@/lib/archive/extract";
import { PermanentSourceError } from "@/lib/sources/types";
import { sha256 } from "../helpers/files";

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

// Fixtures are built at run time. bzip2 has no pure-JS compressor in the tree, so the bzip2 ones
// come from the system `bzip2`, and the GNU-format tar from the system `tar`.
for (const tool of ["bzip2", "tar"]) {
  if (spawnSync(tool, ["--version"]).error) throw new Error(`The archive tests need the ${tool} command on the PATH.`);
}

function bzip2(data: Buffer): Buffer {
  const run = spawnSync("bzip2", ["-c", "-9"], { input: data, maxBuffer: 1 * GiB });
  if (run.status !== 0) throw new Error(`bzip2 failed: ${run.stderr.toString()}`);
  return run.stdout;
}

/** A raw ustar header, so tests can write what node-tar and GNU tar refuse to (links, `..`, `/`). */
function tarHeader(entry: { name: string; size: number; type: string; linkname?: string }): Buffer {
  const header = Buffer.alloc(512);
  header.write(entry.name, 0, 100);
  header.write("0000644\0", 100);
  header.write("0000000\0", 108);
  header.write("0000000\0", 116);
  header.write(`${entry.size.toString(8).padStart(11, "0")}\0`, 124);
  header.write("00000000000\0", 136);
  header.write(" ".repeat(8), 148);
  header.write(entry.type, 156);
  header.write(entry.linkname ?? "", 157, 100);
  header.write("ustar\u000000", 257);
  const sum = header.reduce((total, byte) => total + byte, 0);
  header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  return header;
}

type RawEntry = { name: string; data?: Buffer; type?: string; linkname?: string };

function rawTar(entries: RawEntry[]): Buffer {
  const parts = entries.flatMap(({ name, data = Buffer.alloc(0), type = "0", linkname }) => [
    tarHeader({ name, size: data.length, type, linkname }),
    data,
    Buffer.alloc((512 - (data.length % 512)) % 512),
  ]);
  return Buffer.concat([...parts, Buffer.alloc(1024)]);
}

type ZipItem = { name: string; data?: Buffer; compress?: boolean; mode?: number; directory?: boolean };

async function buildZip(items: ZipItem[], forceZip64Format = false): Promise<Buffer> {
  const zip = new ZipFile();
  for (const item of items) {
    if (item.directory) zip.addEmptyDirectory(item.name);
    else zip.addBuffer(item.data ?? Buffer.alloc(0), item.name, { compress: item.compress ?? true, mode: item.mode, forceZip64Format });
  }
  zip.end({ forceZip64Format, comment: "" });
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Where each entry sits in a (non-zip64) zip, to patch names and sizes in place. */
function zipRecords(zip: Buffer): { central: number; local: number; dataStart: number }[] {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const records = [];
  for (let i = 0, at = zip.readUInt32LE(end + 16); i < zip.readUInt16LE(end + 10); i++) {
    const local = zip.readUInt32LE(at + 42);
    records.push({ central: at, local, dataStart: local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28) });
    at += 46 + zip.readUInt16LE(at + 28) + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return records;
}

function renameZipEntry(zip: Buffer, index: number, name: string): Buffer {
  const record = zipRecords(zip)[index];
  zip.write(name, record.central + 46);
  zip.write(name, record.local + 30);
  return zip;
}

function declareZipSize(zip: Buffer, index: number, uncompressedSize: number): Buffer {
  const record = zipRecords(zip)[index];
  zip.writeUInt32LE(uncompressedSize, record.central + 24);
  zip.writeUInt32LE(uncompressedSize, record.local + 22);
  return zip;
}

let work: string;
let scratch: string;
let tree: string;
const treeFiles = new Map<string, Buffer>();

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), "cairn-archive-"));
  scratch = path.join(work, "scratch");
  tree = path.join(work, "tree");
  await mkdir(scratch);
  treeFiles.set("config.json", Buffer.from(JSON.stringify({ hidden_size: 4096, layers: 32 })));
  treeFiles.set("model/weights.bin", randomBytes(1.5 * MiB));
  treeFiles.set("model/nested/deep/tokenizer.json", Buffer.from('{"vocab": ["a", "b"]}'.repeat(5000)));
  treeFiles.set("empty.txt", Buffer.alloc(0));
  treeFiles.set("données/poids é.txt", Buffer.from("unicode names survive"));
  // Longer than ustar holds, so node-tar writes a pax header and GNU tar a long-name entry.
  treeFiles.set(`${"long-directory-name/".repeat(12)}file-with-a-long-name.safetensors`, randomBytes(4096));
  for (const [name, data] of treeFiles) {
    await mkdir(path.dirname(path.join(tree, name)), { recursive: true });
    await writeFile(path.join(tree, name), data);
  }
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function fixture(name: string, data: Buffer): Promise<string> {
  const file = path.join(work, `${randomBytes(4).toString("hex")}-${name}`);
  await writeFile(file, data);
  return file;
}

type Emitted = { path: string; sha256: string; bytes: number; size: number | null };

type Run = {
  emitted: Emitted[];
  /** Bytes `onEntry` read, counting entries cut short. */
  bytesRead: number;
  result?: { entries: number; bytes: number };
  error?: unknown;
  source?: Readable;
};

async function extract(
  name: string,
  file: string,
  opts: { limits?: Partial<ArchiveLimits>; onEntry?: (path: string, stream: Readable, run: Run) => Promise<void>; signal?: AbortSignal } = {},
): Promise<Run> {
  const run: Run = { emitted: [], bytesRead: 0 };
  try {
    run.result = await extractArchive({
      name,
      open: async () => (run.source = createReadStream(file)),
      scratchDir: scratch,
      limits: { ...archiveLimits(GiB), ...opts.limits },
      signal: opts.signal,
      onEntry: async (entryPath, stream, size) => {
        if (opts.onEntry) return opts.onEntry(entryPath, stream, run);
        const hash = createHash("sha256");
        let bytes = 0;
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          hash.update(chunk);
          bytes += chunk.length;
          run.bytesRead += chunk.length;
        }
        run.emitted.push({ path: entryPath, sha256: hash.digest("hex"), bytes, size });
      },
    });
  } catch (error) {
    run.error = error;
  }
  return run;
}

/** The refusal of a run, which must be a PermanentSourceError whose message matches every pattern. */
function refusal(run: Run, ...patterns: (string | RegExp)[]): string {
  expect(run.error).toBeInstanceOf(PermanentSourceError);
  const message = (run.error as Error).message;
  for (const pattern of patterns) {
    if (typeof pattern === "string") expect(message).toContain(pattern);
    else expect(message).toMatch(pattern);
  }
  return message;
}

function expectTree(run: Run) {
  expect(run.error).toBeUndefined();
  const expected = [...treeFiles].map(([name, data]) => ({ path: name, sha256: sha256(data), bytes: data.length }));
  expect(run.emitted.map(({ path, sha256, bytes }) => ({ path, sha256, bytes })).sort((a, b) => a.path.localeCompare(b.path))).toEqual(
    expected.sort((a, b) => a.path.localeCompare(b.path)),
  );
  for (const entry of run.emitted) expect(entry.size).toBe(entry.bytes);
  const total = expected.reduce((sum, entry) => sum + entry.bytes, 0);
  expect(run.result).toEqual({ entries: treeFiles.size, bytes: total });
}

async function tarOfTree(gzip: boolean): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of createTar({ cwd: tree, gzip, portable: true }, ["."])) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function zipOfTree(forceZip64Format: boolean): Promise<Buffer> {
  const items: ZipItem[] = [{ name: "model/", directory: true }];
  for (const [name, data] of treeFiles) items.push({ name, data, compress: !name.endsWith(".bin") });
  return buildZip(items, forceZip64Format);
}

describe("archiveKind and archiveLimits", () => {
  it.each([
    ["m.zip", "zip"],
    ["M.ZIP", "zip"],
    ["m.tar", "tar"],
    ["m.tar.gz", "tgz"],
    ["m.TGZ", "tgz"],
    ["m.tar.bz2", "tbz2"],
    ["weights.bin.bz2", "bz2"],
    ["m.7z", null],
    ["m.gz", null],
  ])("%s is %s", (name, kind) => expect(archiveKind(name)).toBe(kind));

  it("reads the entry cap from CAIRN_MAX_ARCHIVE_ENTRIES", () => {
    expect(archiveLimits(5 * GiB)).toEqual({ maxEntries: 100_000, maxTotalBytes: 5 * GiB, maxRatio: 200 });
    process.env.CAIRN_MAX_ARCHIVE_ENTRIES = "12";
    try {
      expect(archiveLimits(1).maxEntries).toBe(12);
    } finally {
      delete process.env.CAIRN_MAX_ARCHIVE_ENTRIES;
    }
  });
});

describe("extracting every format", () => {
  it("tar, tar.gz and .tgz written by node-tar (pax headers, ./ prefixes, folders)", async () => {
    const tar = await tarOfTree(false);
    expectTree(await extract("model.tar", await fixture("model.tar", tar)));
    expectTree(await extract("model.tar.gz", await fixture("model.tar.gz", await tarOfTree(true))));
    expectTree(await extract("MODEL.TGZ", await fixture("model.tgz", gzipSync(tar))));
  });

  it("tar.gz written by GNU tar (GNU long names)", async () => {
    const file = path.join(work, "gnu.tar.gz");
    const run = spawnSync("tar", ["--format=gnu", "-czf", file, "-C", tree, "."]);
    expect(run.status).toBe(0);
    expectTree(await extract("gnu.tar.gz", file));
  });

  it("tar.bz2, and a .bz2 that holds a tar", async () => {
    const compressed = bzip2(await tarOfTree(false));
    expectTree(await extract("model.tar.bz2", await fixture("model.tar.bz2", compressed)));
    expectTree(await extract("model.bz2", await fixture("model.bz2", compressed)));
  });

  it("zip, deflated and stored, with a folder entry; and zip64", async () => {
    expectTree(await extract("model.zip", await fixture("model.zip", await zipOfTree(false))));
    const zip64 = await zipOfTree(true);
    expect(zip64.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06]))).toBe(true); // the zip64 end record
    expectTree(await extract("model64.zip", await fixture("model64.zip", zip64)));
    expect(await readdir(scratch)).toEqual([]);
  });

  it("a plain .bz2 becomes one file named without .bz2, concatenated streams included", async () => {
    const [first, second] = [randomBytes(300_000), Buffer.from("tail ".repeat(100_000))];
    const file = await fixture("w.bz2", Buffer.concat([bzip2(first), bzip2(second)]));
    const run = await extract("weights.bin.bz2", file);
    expect(run.error).toBeUndefined();
    expect(run.emitted).toEqual([{ path: "weights.bin", sha256: sha256(Buffer.concat([first, second])), bytes: 800_000, size: null }]);
  });

  it("emits one entry at a time, in archive order, and waits for a slow consumer", async () => {
    const names = Array.from({ length: 30 }, (_, i) => `f${String(i).padStart(2, "0")}.bin`);
    const tar = rawTar(names.map((name) => ({ name, data: randomBytes(20_000) })));
    let active = 0;
    const seen: string[] = [];
    const run = await extract("slow.tar", await fixture("slow.tar", tar), {
      onEntry: async (entryPath, stream) => {
        active += 1;
        expect(active).toBe(1);
        await new Promise((resolve) => setTimeout(resolve, 5));
        for await (const _chunk of stream) await new Promise((resolve) => setImmediate(resolve));
        seen.push(entryPath);
        active -= 1;
      },
    });
    expect(run.error).toBeUndefined();
    expect(seen).toEqual(names);
  });

  it("reads the source no further ahead than the consumer (backpressure)", async () => {
    const file = await fixture("big.tar", rawTar([{ name: "big.bin", data: randomBytes(32 * MiB) }]));
    let readAhead = -1;
    const run = await extract("big.tar", file, {
      onEntry: async (_entryPath, stream, { source }) => {
        await new Promise((resolve) => setTimeout(resolve, 200));
        readAhead = (source as ReadStream).bytesRead;
        stream.resume();
        await new Promise((resolve) => stream.once("end", resolve));
      },
    });
    expect(run.error).toBeUndefined();
    expect(readAhead).toBeGreaterThan(0);
    expect(readAhead).toBeLessThan(2 * MiB);
  });
});

describe("refused archives name the entry", () => {
  const ok = { name: "ok.txt", data: Buffer.from("fine") };
  const tarCases: [string, RawEntry, RegExp][] = [
    ["a symbolic link", { name: "link", type: "2", linkname: "/etc/passwd" }, /symbolic link, 'link' → '\/etc\/passwd'/],
    ["a hard link", { name: "hard", type: "1", linkname: "ok.txt" }, /hard link, 'hard'/],
    ["a .. path", { name: "../evil", data: Buffer.from("x") }, /'\.\.\/evil'/],
    ["a nested .. path", { name: "a/../../evil", data: Buffer.from("x") }, /'a\/\.\.\/\.\.\/evil'/],
    ["an absolute path", { name: "/etc/passwd", data: Buffer.from("x") }, /'\/etc\/passwd', which starts with '\/'/],
    ["a backslash", { name: "a\\b.txt", data: Buffer.from("x") }, /'a\\b.txt', which contains a backslash/],
    ["a ./ segment inside", { name: "a/./b.txt", data: Buffer.from("x") }, /'a\/\.\/b.txt'/],
    ["an empty segment", { name: "a//b.txt", data: Buffer.from("x") }, /'a\/\/b.txt', which has an empty segment/],
    ["a duplicate", { name: "./ok.txt", data: Buffer.from("again") }, /'ok.txt' twice/],
    ["a file under a file", { name: "ok.txt/inner", data: Buffer.from("x") }, /'ok.txt\/inner' both as a file and as a folder/],
    ["a device", { name: "dev", type: "3" }, /'dev' of type CharacterDevice/],
    ["a FIFO", { name: "pipe", type: "6" }, /'pipe' of type FIFO/],
  ];
  it.each(tarCases)("tar with %s", async (_label, bad, pattern) => {
    const run = await extract("evil.tar", await fixture("evil.tar", rawTar([ok, bad, { name: "after.txt", data: Buffer.from("x") }])));
    refusal(run, pattern, "evil.tar");
    expect(run.emitted.map((entry) => entry.path)).toEqual(["ok.txt"]);
  });

  it("zip with a .. path or an absolute path (yauzl's own refusal, mapped)", async () => {
    const dotdot = renameZipEntry(await buildZip([ok, { name: "zz/evil", data: Buffer.from("x") }]), 1, "../evil");
    refusal(await extract("evil.zip", await fixture("evil.zip", dotdot)), "'../evil', which contains '..'");
    const absolute = renameZipEntry(await buildZip([{ name: "xetc/passwd", data: Buffer.from("x") }]), 0, "/etc/passwd");
    refusal(await extract("abs.zip", await fixture("abs.zip", absolute)), "'/etc/passwd', which is absolute");
    const inner = renameZipEntry(await buildZip([{ name: "a/bc", data: Buffer.from("x") }]), 0, "a//c");
    refusal(await extract("inner.zip", await fixture("inner.zip", inner)), "'a//c', which has an empty segment");
  });

  it("zip with a symbolic link", async () => {
    const zip = await buildZip([ok, { name: "link", data: Buffer.from("/etc/passwd"), mode: 0o120777 }]);
    const run = await extract("link.zip", await fixture("link.zip", zip));
    refusal(run, "symbolic link, 'link'");
    expect(run.emitted.map((entry) => entry.path)).toEqual(["ok.txt"]);
    expect(await readdir(scratch)).toEqual([]);
  });

  it("more entries than maxEntries", async () => {
    const entries = Array.from({ length: 10 }, (_, i) => ({ name: `f${i}.txt`, data: Buffer.from(String(i)) }));
    const tarRun = await extract("many.tar", await fixture("many.tar", rawTar(entries)), { limits: { maxEntries: 5 } });
    refusal(tarRun, "more than 5 entries (CAIRN_MAX_ARCHIVE_ENTRIES)", "'f5.txt'");
    expect(tarRun.emitted).toHaveLength(5);
    const zipRun = await extract("many.zip", await fixture("many.zip", await buildZip(entries)), { limits: { maxEntries: 5 } });
    refusal(zipRun, "more than 5 entries (CAIRN_MAX_ARCHIVE_ENTRIES): it lists 10");
    expect(zipRun.emitted).toHaveLength(0);
  });

  it("an expanded total over the checkpoint cap", async () => {
    const entries = ["a.bin", "b.bin", "c.bin"].map((name) => ({ name, data: randomBytes(MiB) }));
    const limits = { maxTotalBytes: 2.5 * MiB };
    const tarRun = await extract("big.tar.gz", await fixture("big.tar.gz", gzipSync(rawTar(entries))), { limits });
    refusal(tarRun, "at 'c.bin'", "CAIRN_MAX_CHECKPOINT_BYTES");
    expect(tarRun.emitted.map((entry) => entry.path)).toEqual(["a.bin", "b.bin"]);
    expect(tarRun.bytesRead).toBeLessThanOrEqual(2.5 * MiB + 64 * 1024);
    const zipRun = await extract("big.zip", await fixture("big.zip", await buildZip(entries)), { limits });
    refusal(zipRun, "at 'c.bin'", "CAIRN_MAX_CHECKPOINT_BYTES");
    expect(zipRun.bytesRead).toBe(2 * MiB);
  });

  it("a gzip bomb, stopped early", async () => {
    const bomb = gzipSync(rawTar([{ name: "zeros.bin", data: Buffer.alloc(100 * MiB) }]), { level: 9 });
    const run = await extract("bomb.tar.gz", await fixture("bomb.tar.gz", bomb));
    refusal(run, "'zeros.bin'", "more than 200× its compressed size");
    expect(run.bytesRead).toBeLessThan(30 * MiB);
  });

  it("a bzip2 bomb, stopped after at most a block", async () => {
    const run = await extract("zeros.bin.bz2", await fixture("zeros.bin.bz2", bzip2(Buffer.alloc(100 * MiB))));
    refusal(run, "'zeros.bin'", "more than 200× its compressed size");
    expect(run.bytesRead).toBeLessThan(4 * MiB);
  });

  it("a zip bomb, refused from its header before any byte is emitted", async () => {
    const zip = await buildZip([{ name: "zeros.bin", data: Buffer.alloc(50 * MiB) }]);
    const run = await extract("bomb.zip", await fixture("bomb.zip", zip));
    refusal(run, "'zeros.bin'", "more than 200×");
    expect(run.bytesRead).toBe(0);
  });

  it("a zip whose header lies about sizes gains nothing", async () => {
    const understated = declareZipSize(await buildZip([{ name: "zeros.bin", data: Buffer.alloc(50 * MiB) }]), 0, 100_000);
    const run = await extract("lying.zip", await fixture("lying.zip", understated));
    refusal(run, "damaged", "'zeros.bin'");
    expect(run.bytesRead).toBeLessThanOrEqual(100_000);
    const overstated = declareZipSize(await buildZip([{ name: "data.bin", data: randomBytes(200_000) }]), 0, 5 * MiB);
    refusal(await extract("lying2.zip", await fixture("lying2.zip", overstated)), "damaged", "'data.bin'");
  });

  it("a zip entry whose bytes fail the CRC", async () => {
    const zip = await buildZip([{ name: "data.bin", data: randomBytes(10_000), compress: false }]);
    zip[zipRecords(zip)[0].dataStart + 5] ^= 0xff;
    refusal(await extract("flipped.zip", await fixture("flipped.zip", zip)), "'data.bin': its CRC-32 does not match");
  });

  it("damaged or mislabelled archives", async () => {
    const tgz = gzipSync(rawTar([{ name: "a.bin", data: randomBytes(MiB) }]));
    const cut = await extract("cut.tar.gz", await fixture("cut.tar.gz", tgz.subarray(0, tgz.length / 2)));
    refusal(cut, "The archive cut.tar.gz is damaged or not a tar.gz file");
    const tar = rawTar([{ name: "a.bin", data: randomBytes(MiB) }]);
    refusal(await extract("cut.tar", await fixture("cut.tar", tar.subarray(0, 700_000))), "cut.tar is damaged or not a tar file");
    const noise = randomBytes(100_000);
    refusal(await extract("noise.tar", await fixture("noise.tar", noise)), "noise.tar is damaged or not a tar file");
    refusal(await extract("noise.zip", await fixture("noise.zip", noise)), "noise.zip is damaged or not a zip file");
    refusal(await extract("noise.bz2", await fixture("noise.bz2", noise)), "noise.bz2 is damaged or not a bzip2 file");
    const cutBz2 = bzip2(randomBytes(2 * MiB));
    refusal(await extract("cut.bz2", await fixture("cut.bz2", cutBz2.subarray(0, MiB))), "cut.bz2 is damaged or not a bzip2 file");
    expect(await readdir(scratch)).toEqual([]);
  });
});

describe("errors that are not the archive's fault", () => {
  it("rethrows onEntry's error as it is and emits nothing after it", async () => {
    const entries = ["a", "b", "c"].map((name) => ({ name, data: Buffer.from(name) }));
    for (const [name, data] of [["three.tar", rawTar(entries)], ["three.zip", await buildZip(entries)]] as const) {
      const calls: string[] = [];
      const storeDown = new Error("blob store unavailable");
      const run = await extract(name, await fixture(name, data), {
        onEntry: async (entryPath, stream) => {
          calls.push(entryPath);
          if (entryPath === "b") throw storeDown;
          for await (const _chunk of stream);
        },
      });
      expect(run.error).toBe(storeDown);
      expect(calls).toEqual(["a", "b"]);
    }
  });

  it("refuses an onEntry that returns without reading its stream, instead of stalling", async () => {
    const entries = [{ name: "a.bin", data: randomBytes(MiB) }, { name: "b.bin", data: Buffer.from("b") }];
    for (const [name, data] of [["lazy.tar", rawTar(entries)], ["lazy.zip", await buildZip(entries)]] as const) {
      const run = await extract(name, await fixture(name, data), { onEntry: async () => {} });
      expect((run.error as Error).message).toBe("onEntry returned before reading all of 'a.bin'");
    }
  });

  it("stops at once on abort, even with a stalled source", async () => {
    const controller = new AbortController();
    const source = new Readable({ read() {} });
    source.push(tarHeader({ name: "slow.bin", size: 10 * MiB, type: "0" }));
    source.push(randomBytes(MiB));
    let received = 0;
    const extraction = extractArchive({
      name: "stalled.tar",
      open: async () => source,
      scratchDir: scratch,
      limits: archiveLimits(GiB),
      signal: controller.signal,
      onEntry: async (_entryPath, stream) => {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          received += chunk.length;
          if (received === MiB) controller.abort();
        }
      },
    });
    await expect(extraction).rejects.toMatchObject({ name: "AbortError" });
    expect(source.destroyed).toBe(true);
  });

  it("passes a failing source's error through unchanged, so it can be retried", async () => {
    const dropped = new Error("connection reset");
    const source = new Readable({ read() {} });
    source.push(tarHeader({ name: "a.bin", size: MiB, type: "0" }));
    setTimeout(() => source.destroy(dropped), 20);
    const extraction = extractArchive({
      name: "dropped.tar",
      open: async () => source,
      scratchDir: scratch,
      limits: archiveLimits(GiB),
      onEntry: async (_entryPath, stream) => {
        for await (const _chunk of stream);
      },
    });
    await expect(extraction).rejects.toBe(dropped);
  });
});
