import { randomUUID } from "node:crypto";
import { chmodSync, constants, copyFileSync, createWriteStream, linkSync, mkdirSync } from "node:fs";
import { access, chmod, lstat, mkdir, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { inParallel } from "@/lib/async/in-parallel";
import { filePathProblem } from "@/lib/checkpoints/naming";
import { HashingCounter } from "@/lib/storage/hashing";
import type { BlobStore } from "@/lib/storage/types";

export type MountFile = { path: string; sha256: string; size: number };
export type MountInput = { name: string; files: MountFile[] };

const downloads = new Map<string, Promise<string>>();

/**
 * A blob as a file on this machine: the fs store's own file, or for S3 a copy in a cache every
 * job shares (downloaded once, checked against its hash, then only linked).
 */
export async function localBlob(store: BlobStore, cacheDir: string, sha256: string): Promise<string> {
  if (store.localPath) return store.localPath(sha256);
  const target = path.join(cacheDir, sha256.slice(0, 2), sha256);
  try {
    await access(target);
    return target;
  } catch {}
  let pending = downloads.get(sha256);
  if (!pending) {
    pending = download(store, target, sha256).finally(() => downloads.delete(sha256));
    downloads.set(sha256, pending);
  }
  return pending;
}

async function download(store: BlobStore, target: string, sha256: string): Promise<string> {
  await mkdir(path.dirname(target), { recursive: true });
  const temp = `${target}.${randomUUID()}.part`;
  const counter = new HashingCounter();
  try {
    await pipeline(await store.get(sha256), counter, createWriteStream(temp, { highWaterMark: 1 << 20 }));
    const actual = counter.digest();
    if (actual !== sha256) throw new Error(`blob ${sha256} came back from the store as ${actual}`);
    await chmod(temp, 0o444);
    await rename(temp, target);
    return target;
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Links one file into place; across filesystems it falls back to a reflink or, failing that, a copy. */
function placeSync(source: string, target: string): void {
  try {
    linkSync(source, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EXDEV" && code !== "EPERM" && code !== "EMLINK") throw error;
    copyFileSync(source, target, constants.COPYFILE_FICLONE);
  }
  // The link shares the blob's inode: 0444 keeps both read-only (the store never rewrites a blob).
  chmodSync(target, 0o444);
}

/** Filesystem calls made in one go before the event loop gets a turn (a checkpoint may hold 100,000 files). */
const SYNC_SLICE = 256;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Lays out `<inputDir>/<name>/<path…>` for every attached checkpoint without copying bytes: each
 * file is a hard link to the content-addressed blob. Directories end up 0555, files 0444.
 *
 * The blobs are found first (the fs store's own files; from S3, downloads into the shared cache).
 * The layout itself is metadata calls of a few microseconds each, made synchronously in slices:
 * as thread-pool round trips, every one of them waited for whatever else the server's event loop
 * was doing (an API request takes milliseconds), which made a launch several times slower.
 */
export async function materializeInputs(store: BlobStore, opts: { inputDir: string; cacheDir: string; inputs: MountInput[] }): Promise<void> {
  const dirs = new Set<string>();
  const links: { sha256: string; target: string; source: string }[] = [];
  for (const input of opts.inputs) {
    const root = path.join(opts.inputDir, input.name);
    dirs.add(root);
    for (const file of input.files) {
      if (filePathProblem(file.path)) throw new Error(`unsafe path in checkpoint ${input.name}: ${file.path}`);
      const target = path.join(root, file.path);
      for (let dir = path.dirname(target); dir !== root && !dirs.has(dir); dir = path.dirname(dir)) dirs.add(dir);
      links.push({ sha256: file.sha256, target, source: store.localPath?.(file.sha256) ?? "" });
    }
  }
  const remote = links.filter((item) => !item.source);
  await inParallel(remote, 16, async (item) => {
    item.source = await localBlob(store, opts.cacheDir, item.sha256);
  });
  // Parents before children; deepest first when sealing, so each directory stays writable while its children are sealed.
  const ordered = [...dirs].sort((a, b) => a.length - b.length);
  mkdirSync(opts.inputDir, { recursive: true });
  for (const dir of ordered) mkdirSync(dir, { recursive: true });
  for (let index = 0; index < links.length; index++) {
    placeSync(links[index].source, links[index].target);
    if (index % SYNC_SLICE === SYNC_SLICE - 1) await yieldToLoop();
  }
  for (const dir of ordered.reverse()) chmodSync(dir, 0o555);
  chmodSync(opts.inputDir, 0o555);
}

/** Removes a tree that may hold read-only directories (the sealed inputs). */
export async function removeTree(dir: string): Promise<void> {
  const self = process.getuid?.();
  const unseal = async (current: string): Promise<void> => {
    // Only our own real directories: never follow a link or touch what the job's user made.
    const info = await lstat(current).catch(() => null);
    if (!info?.isDirectory() || (self !== undefined && info.uid !== self)) return;
    await chmod(current, 0o755).catch(() => {});
    for (const entry of await readdir(current, { withFileTypes: true }).catch(() => [])) {
      if (entry.isDirectory()) await unseal(path.join(current, entry.name));
    }
  };
  await unseal(dir);
  await rm(dir, { recursive: true, force: true });
}

/**
 * Empties the S3 blob cache of what no job has linked for `idleMs`: a link count of 1 means only
 * the cache holds the file, and linking or unlinking moves its ctime.
 */
export async function pruneJobCache(cacheDir: string, idleMs = 60 * 60 * 1000): Promise<number> {
  let removed = 0;
  for (const shard of await readdir(cacheDir).catch(() => [])) {
    const dir = path.join(cacheDir, shard);
    for (const name of await readdir(dir).catch(() => [])) {
      const file = path.join(dir, name);
      const info = await lstat(file).catch(() => null);
      if (!info?.isFile() || info.nlink > 1 || Date.now() - info.ctimeMs < idleMs) continue;
      await rm(file, { force: true });
      removed += 1;
    }
  }
  return removed;
}
