import { chmodSync, linkSync, lstatSync, mkdirSync, symlinkSync } from "node:fs";
import { chmod, lstat, readdir } from "node:fs/promises";
import path from "node:path";
import { inParallel } from "@/lib/async/in-parallel";
import type { AgentSpec } from "@/lib/api/schemas/agent";
import { fetchFileVerified } from "@/lib/cli/fetch";
import { TransferProgress } from "@/lib/cli/progress";
import { blobRelativePath } from "@/lib/storage/layout";
import type { AgentApi } from "./api";
import type { BlobCache } from "./blob-cache";

const PARALLEL_FILES = 4;

export type InputsSummary = { files: number; linkedFromStore: number; fromCache: number; fetchedBytes: number };

/** A file's path inside its checkpoint, refused when it could leave the checkpoint's directory. */
function safeRelative(filePath: string): string {
  const parts = filePath.split("/");
  if (filePath.startsWith("/") || parts.some((p) => p === "" || p === "." || p === "..") || filePath.includes("\\")) {
    throw new Error(`unsafe path in an input checkpoint: ${filePath}`);
  }
  return path.join(...parts);
}

/** Hard link when source and target share a filesystem; a symlink (into a read-only store or cache) otherwise. */
function place(source: string, target: string): void {
  try {
    linkSync(source, target);
    // The link shares the blob's inode: 0444 keeps both read-only (a blob is never rewritten).
    chmodSync(target, 0o444);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EXDEV" && code !== "EPERM" && code !== "EMLINK") throw error;
    symlinkSync(source, target);
  }
}

/**
 * Lays out `<inputDir>/<name>/<path…>` for every attached checkpoint without copying bytes where
 * it can: from the server's filesystem store when this machine sees it (the same machine, or a
 * shared mount named by `CAIRN_SHARED_BLOB_DIR`), else from the node's blob cache, which fetches
 * what it lacks in parallel ranges and verifies each file's SHA-256. Directories end 0555, files 0444.
 */
export async function materializeInputs(opts: {
  spec: AgentSpec;
  inputDir: string;
  sharedBlobDir: string | null;
  cache: BlobCache;
  api: AgentApi;
}): Promise<InputsSummary> {
  const storeRoot = opts.sharedBlobDir ?? (opts.spec.blobStore.kind === "fs" ? opts.spec.blobStore.root : null);
  const items = opts.spec.inputs.flatMap((input) =>
    input.files.map((file) => ({ input, file, target: path.join(opts.inputDir, input.name, safeRelative(file.path)), source: "" })),
  );
  const summary: InputsSummary = { files: items.length, linkedFromStore: 0, fromCache: 0, fetchedBytes: 0 };
  for (const item of items) {
    const candidate = storeRoot ? path.join(storeRoot, blobRelativePath(item.file.sha256)) : null;
    const info = candidate ? lstatOrNull(candidate) : null;
    if (candidate && info?.isFile() && info.size === item.file.size) {
      item.source = candidate;
      summary.linkedFromStore += 1;
    }
  }
  const remote = items.filter((item) => !item.source);
  if (remote.length > 0) {
    await opts.cache.hold([...new Set(remote.map((item) => item.file.sha256))]);
    const total = remote.reduce((sum, item) => sum + item.file.size, 0);
    const progress = new TransferProgress("inputs", total, remote.length);
    try {
      await inParallel(remote, PARALLEL_FILES, async (item) => {
        const cached = await opts.cache.ensure(item.file.sha256, item.file.size, async (target) => {
          await fetchFileVerified(opts.api.client, { checkpointId: item.input.checkpointId, file: item.file, target, progress });
        });
        item.source = cached.path;
        summary.fromCache += 1;
        if (cached.fetched) summary.fetchedBytes += item.file.size;
      });
    } finally {
      progress.stop();
    }
    await opts.cache.evict();
  }
  mkdirSync(opts.inputDir, { recursive: true });
  const dirs = new Set<string>(opts.spec.inputs.map((input) => path.join(opts.inputDir, input.name)));
  for (const item of items) dirs.add(path.dirname(item.target));
  for (const dir of [...dirs].sort((a, b) => a.length - b.length)) mkdirSync(dir, { recursive: true });
  for (const item of items) if (!lstatOrNull(item.target)) place(item.source, item.target);
  await seal(opts.inputDir);
  return summary;
}

function lstatOrNull(file: string) {
  try {
    return lstatSync(file);
  } catch {
    return null;
  }
}

/** Directories read-only, deepest first so each stays writable while its children are sealed. */
async function seal(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) await seal(path.join(dir, entry.name));
  }
  const info = await lstat(dir);
  if (info.isDirectory()) await chmod(dir, 0o555);
}
