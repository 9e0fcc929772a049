import { inParallel } from "@/lib/async/in-parallel";
import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { ApiClient, CairnApiError, seg } from "./client";
import { CliError } from "./config";
import { parseFileArg, type FileArg } from "./args";
import { TransferProgress } from "./progress";
import { formatBytes } from "./table";
import type { CheckpointFileList, CheckpointResponse } from "@/lib/api/schemas/checkpoints";

export type UploadItem = { local: string; path: string; size: number; mtimeMs: number };
/** `sources`: each `--file` source as an absolute path (directories end in `/`), recorded as `spec.fromLocalFiles`. */
export type UploadPlan = { items: UploadItem[]; sources: string[] };

async function walk(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await walk(full)));
    else if (entry.isFile()) found.push(full);
  }
  return found.sort();
}

/** What each `--file` names: a file under its basename (or the given path), a directory recursively. */
export async function planUploads(rawArgs: string[]): Promise<UploadPlan> {
  const args: FileArg[] = rawArgs.map((raw) => parseFileArg(raw, (candidate) => existsSync(candidate)));
  const items: UploadItem[] = [];
  const sources = new Set<string>();
  for (const { source, target } of args) {
    const info = await stat(source).catch(() => null);
    if (!info) throw new CliError(`--file ${source}: no such file or directory.`);
    sources.add(info.isDirectory() ? `${path.resolve(source)}${path.sep}` : path.resolve(source));
    if (info.isDirectory()) {
      for (const local of await walk(source)) {
        const relative = path.relative(source, local).split(path.sep).join("/");
        const s = await stat(local);
        items.push({ local, path: target ? `${target}/${relative}` : relative, size: s.size, mtimeMs: s.mtimeMs });
      }
    } else if (info.isFile()) {
      items.push({ local: source, path: target ?? path.basename(source), size: info.size, mtimeMs: info.mtimeMs });
    } else {
      throw new CliError(`--file ${source}: not a regular file or directory.`);
    }
  }
  if (items.length === 0) throw new CliError("Nothing to push: the given paths hold no files.");
  const seen = new Map<string, string>();
  for (const item of items) {
    const other = seen.get(item.path);
    if (other) throw new CliError(`Both ${other} and ${item.local} would be stored as '${item.path}'; give one a different checkpoint path with --file <source>=<path>.`);
    seen.set(item.path, item.local);
  }
  return { items, sources: [...sources] };
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** A new local checkpoint, or the same-named one a previous push left `uploading`, to resume it. */
async function openLocalCheckpoint(client: ApiClient, name: string, fromLocalFiles: string[]): Promise<{ checkpoint: CheckpointResponse; resumed: boolean }> {
  try {
    return { checkpoint: await client.post<CheckpointResponse>("/checkpoints", { name, sourceType: "local", fromLocalFiles }), resumed: false };
  } catch (error) {
    if (!(error instanceof CairnApiError) || error.code !== "conflict") throw error;
    const existing = await client.get<CheckpointResponse>(`/checkpoints/${seg(name)}`).catch(() => null);
    if (existing?.spec.sourceType !== "local" || existing.status.status !== "uploading") throw error;
    return { checkpoint: existing, resumed: true };
  }
}

/** Files a resumed push already stored with the same bytes. */
async function alreadyStored(client: ApiClient, checkpointId: string, items: UploadItem[]): Promise<Set<string>> {
  const page = await client.get<CheckpointFileList>(`/checkpoints/${seg(checkpointId)}/files`);
  const stored = new Map(page.items.map((file) => [file.path, file]));
  const done = new Set<string>();
  for (const item of items) {
    const file = stored.get(item.path);
    if (file && file.size === item.size && (await sha256Of(item.local)) === file.sha256) done.add(item.path);
  }
  return done;
}

/** `cairn checkpoint push --file …`: tus uploads, several at once and resumable, then commit. */
export async function pushLocal(client: ApiClient, name: string, { items, sources }: UploadPlan, parallel: number): Promise<CheckpointResponse> {
  const { checkpoint, resumed } = await openLocalCheckpoint(client, name, sources);
  const id = checkpoint.metadata.id;
  const skip = resumed ? await alreadyStored(client, id, items) : new Set<string>();
  if (resumed) process.stderr.write(`Resuming the unfinished push of '${name}' (${skip.size} of ${items.length} files already stored).\n`);
  // Loaded only for a push: tus-js-client takes as long to load as the rest of the CLI, and
  // bin/cairn.mjs runs lib/cli as CommonJS, where import() would bypass tsx's require hook.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { tusUpload } = require("./tus") as typeof import("./tus");
  const total = items.reduce((sum, item) => sum + item.size, 0);
  const progress = new TransferProgress(`push ${name}`, total, items.length);
  try {
    await inParallel(items, parallel, async (item) => {
      if (skip.has(item.path)) {
        progress.add(item.size);
        progress.fileDone(item.path, "already stored");
        return;
      }
      await tusUpload(client, { checkpointId: id, item, onBytes: (bytes) => progress.add(bytes), onResume: (offset) => progress.log(`resuming ${item.path} from ${offset} bytes`) });
      progress.fileDone(item.path);
    });
  } finally {
    progress.stop();
  }
  return client.post<CheckpointResponse>(`/checkpoints/${seg(id)}/commit`);
}

export function describePush(checkpoint: CheckpointResponse): string {
  const { status, metadata } = checkpoint;
  return `Checkpoint '${metadata.name}' is ${status.status}: ${status.fileCount} files, ${formatBytes(status.size)} (id ${metadata.id}).`;
}
