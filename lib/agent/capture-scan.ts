import { createHash } from "node:crypto";
import { lstat, readdir } from "node:fs/promises";
import path from "node:path";

/** Files that make a directory one model (Transformers' Trainer "latest/best"). */
const WEIGHTS = /\.(safetensors|bin|pt|pth|ckpt|h5|msgpack|onnx|gguf)$|^model\./i;
/** A PEFT adapter's weights, beside its `adapter_config.json`. */
const ADAPTER_WEIGHTS = /^adapter_model\.(safetensors|bin)$/;

/** Partial writes and scratch space the capture leaves alone: dot-files and Trainer's `tmp-checkpoint-*`. */
const ignored = (name: string) => name.startsWith(".") || name.startsWith("tmp-") || name.endsWith(".tmp") || name.endsWith(".part");

export type ScannedFile = { absolute: string; path: string; size: number; mtimeMs: number };
/** One checkpoint to capture: where it is in the output directory and what it is named after. */
export type CaptureCandidate = { key: string; path: string; label: string; files: ScannedFile[] };

/** Regular files under `dir` (symlinks and specials skipped), sorted by path. */
async function walk(dir: string, prefix = ""): Promise<ScannedFile[]> {
  const files: ScannedFile[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (ignored(entry.name)) continue;
    const absolute = path.join(dir, entry.name);
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await walk(absolute, relative)));
    else if (entry.isFile()) {
      const info = await lstat(absolute).catch(() => null);
      if (info?.isFile()) files.push({ absolute, path: relative, size: info.size, mtimeMs: info.mtimeMs });
    }
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Changes with any write to any of the files (size or mtime), or a file added or removed. */
function signature(files: ScannedFile[]): string {
  const hash = createHash("sha256");
  for (const file of files) hash.update(`${file.path}\0${file.size}\0${file.mtimeMs}\n`);
  return hash.digest("hex").slice(0, 32);
}

/**
 * What the output directory's root is, by the files in it: a model (config.json and weights), a
 * PEFT adapter (adapter_config.json and adapter weights) or a Diffusers pipeline (model_index.json,
 * whose component folders belong to it) are each one checkpoint; anything else is loose files.
 */
function rootKind(names: string[]): "model" | "adapter" | "pipeline" | "files" {
  if (names.includes("model_index.json")) return "pipeline";
  if (names.includes("adapter_config.json") && names.some((n) => ADAPTER_WEIGHTS.test(n))) return "adapter";
  if (names.includes("config.json") && names.some((n) => n !== "config.json" && WEIGHTS.test(n))) return "model";
  return "files";
}

/**
 * The capture rules over a job's output directory, as candidates: each sub-directory becomes a
 * checkpoint `<job>-<sub-directory>` once quiet for `quietMs` (or when the job ended); a root
 * model, adapter or pipeline becomes `<job>-final`; other root files one checkpoint each. A
 * candidate's key changes with its content, so something rewritten after its capture is captured
 * again. `done(path, key)` says which were already captured.
 */
export class CaptureScanner {
  private readonly seen = new Map<string, { signature: string; changedAt: number }>();

  constructor(
    private readonly outputDir: string,
    private readonly quietMs: number,
  ) {}

  private due(slot: string, sig: string, final: boolean, now: number): boolean {
    const seen = this.seen.get(slot);
    if (!seen || seen.signature !== sig) {
      this.seen.set(slot, { signature: sig, changedAt: now });
      return final || this.quietMs === 0;
    }
    return final || now - seen.changedAt >= this.quietMs;
  }

  async scan({ final, done }: { final: boolean; done: (path: string, key: string) => boolean }): Promise<CaptureCandidate[]> {
    const now = Date.now();
    const entries = (await readdir(this.outputDir, { withFileTypes: true }).catch(() => [])).filter((e) => !ignored(e.name));
    const rootNames = entries.filter((e) => e.isFile()).map((e) => e.name);
    const kind = rootKind(rootNames);
    const candidates: CaptureCandidate[] = [];
    const consider = (slot: string, candidatePath: string, label: string, files: ScannedFile[]) => {
      if (files.length === 0) return;
      const sig = signature(files);
      const key = `${candidatePath}@${sig}`;
      if (done(candidatePath, key) || !this.due(slot, sig, final, now)) return;
      candidates.push({ key, path: candidatePath, label, files });
    };
    if (kind === "pipeline") {
      consider("root", ".", "final", await walk(this.outputDir));
      return candidates;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }))) {
      if (entry.isDirectory()) consider(`dir:${entry.name}`, entry.name, entry.name, await walk(path.join(this.outputDir, entry.name), entry.name).then(relativeTo(entry.name)));
    }
    const rootFiles: ScannedFile[] = [];
    for (const name of rootNames.sort()) {
      const absolute = path.join(this.outputDir, name);
      const info = await lstat(absolute).catch(() => null);
      if (info?.isFile()) rootFiles.push({ absolute, path: name, size: info.size, mtimeMs: info.mtimeMs });
    }
    if (kind !== "files") consider("root", ".", "final", rootFiles);
    else for (const file of rootFiles) consider(`file:${file.path}`, file.path, file.path, [file]);
    return candidates;
  }
}

/** Paths inside a sub-directory's checkpoint are relative to it. */
const relativeTo = (dir: string) => (files: ScannedFile[]) => files.map((f) => ({ ...f, path: f.path.slice(dir.length + 1) }));
