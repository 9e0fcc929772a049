import { lstat, readdir } from "node:fs/promises";
import path from "node:path";
import type { Db } from "@/lib/db/client";
import { captureFiles, type CaptureFile, type CapturingJob } from "./capture-store";

/** Files that make the root of the output directory one model (Transformers' Trainer "latest/best"). */
const WEIGHTS = /\.(safetensors|bin|pt|pth|ckpt|h5|msgpack|onnx|gguf)$|^model\./i;

/** Partial writes and scratch space the capture leaves alone: dot-files and Trainer's `tmp-checkpoint-*`. */
const ignored = (name: string) => name.startsWith(".") || name.startsWith("tmp-") || name.endsWith(".tmp") || name.endsWith(".part");

type Entry = { files: CaptureFile[]; signature: string };
type State = { signature: string; changedAt: number; captured: string | null };

/** Regular files under `dir` (symlinks and specials skipped) and a signature that changes with any write. */
async function walk(dir: string, prefix = ""): Promise<Entry> {
  const files: CaptureFile[] = [];
  const parts: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (ignored(entry.name)) continue;
    const absolute = path.join(dir, entry.name);
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      const inner = await walk(absolute, relative);
      files.push(...inner.files);
      parts.push(inner.signature);
    } else if (entry.isFile()) {
      const info = await lstat(absolute).catch(() => null);
      if (!info?.isFile()) continue;
      files.push({ absolute, path: relative });
      parts.push(`${relative}:${info.size}:${info.mtimeMs}`);
    }
  }
  return { files, signature: parts.join("|") };
}

export type CaptureEvents = { log(message: string): void };

/**
 * Watches a job's output directory: each sub-directory becomes a checkpoint `<job>-<sub-directory>`
 * once quiet for `quietMs` (or when the job ended); root files become `<job>-final` when they form
 * a model, else one checkpoint each. Something rewritten after its capture is captured again.
 */
export class OutputCapture {
  private readonly states = new Map<string, State>();
  private scanning: Promise<void> | null = null;

  constructor(
    private readonly db: () => Promise<Db>,
    private readonly job: CapturingJob,
    private readonly dir: string,
    private readonly quietMs: number,
    private readonly events: CaptureEvents,
  ) {}

  /** One pass; overlapping calls share the running pass, except a final one, which waits and runs. */
  scan(final = false): Promise<void> {
    if (this.scanning && !final) return this.scanning;
    const previous = this.scanning ?? Promise.resolve();
    const next: Promise<void> = previous
      .then(() => this.pass(final))
      .catch((error) => this.events.log(`Output capture stopped working: ${String(error)}`))
      .finally(() => {
        if (this.scanning === next) this.scanning = null;
      });
    this.scanning = next;
    return next;
  }

  private due(key: string, signature: string, final: boolean, now: number): boolean {
    let state = this.states.get(key);
    if (!state) {
      state = { signature, changedAt: now, captured: null };
      this.states.set(key, state);
    } else if (state.signature !== signature) {
      state.signature = signature;
      state.changedAt = now;
    }
    if (signature === "" || state.captured === signature) return false;
    return final || now - state.changedAt >= this.quietMs;
  }

  private async pass(final: boolean): Promise<void> {
    const now = Date.now();
    const entries = await readdir(this.dir, { withFileTypes: true }).catch(() => []);
    const rootFiles: Entry = { files: [], signature: "" };
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }))) {
      if (ignored(entry.name)) continue;
      const absolute = path.join(this.dir, entry.name);
      if (entry.isDirectory()) {
        const tree = await walk(absolute);
        if (tree.files.length === 0 || !this.due(`dir:${entry.name}`, tree.signature, final, now)) continue;
        await this.capture(`dir:${entry.name}`, tree.signature, { path: entry.name, label: entry.name, files: tree.files });
      } else if (entry.isFile()) {
        const info = await lstat(absolute).catch(() => null);
        if (!info?.isFile()) continue;
        rootFiles.files.push({ absolute, path: entry.name });
        rootFiles.signature += `|${entry.name}:${info.size}:${info.mtimeMs}`;
      }
    }
    if (rootFiles.files.length > 0 && this.due("root", rootFiles.signature, final, now)) await this.captureRoot(rootFiles);
  }

  private async captureRoot(root: Entry): Promise<void> {
    const names = root.files.map((f) => f.path);
    const isModel = names.includes("config.json") && names.some((n) => n !== "config.json" && WEIGHTS.test(n));
    if (isModel) {
      await this.capture("root", root.signature, { path: ".", label: "final", files: root.files });
      return;
    }
    for (const file of root.files) {
      const info = await lstat(file.absolute).catch(() => null);
      if (!info) continue;
      const key = `file:${file.path}`;
      const signature = `${info.size}:${info.mtimeMs}`;
      if (this.states.get(key)?.captured === signature) continue;
      this.states.set(key, { signature, changedAt: Date.now(), captured: null });
      await this.capture(key, signature, { path: file.path, label: file.path, files: [file] });
    }
    const state = this.states.get("root");
    if (state) state.captured = root.signature;
  }

  private async capture(key: string, signature: string, part: { path: string; label: string; files: CaptureFile[] }) {
    const state = this.states.get(key);
    if (state) state.captured = signature;
    const result = await captureFiles(await this.db(), this.job, { root: this.dir, ...part });
    this.events.log(
      result.ok
        ? `Captured ${part.path === "." ? "the model in the output directory" : `'${part.path}'`} as checkpoint '${result.name}'.`
        : result.reason,
    );
  }
}
