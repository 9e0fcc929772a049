import { inParallel } from "@/lib/async/in-parallel";
import { writeBatched } from "@/lib/storage/batched-write";
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import path from "node:path";
import { ApiClient, errorFrom, filePathSegments, seg } from "./client";
import { CliError } from "./config";
import { TransferProgress } from "./progress";
import { formatBytes } from "./table";
import type { CheckpointObject, CheckpointFile } from "./types";

export type FetchOutcome = "downloaded" | "resumed" | "present";
export type FetchSummary = { files: number; bytes: number; transferred: number; counts: Record<FetchOutcome, number> };

/** Resolves a checkpoint path under the destination, refusing anything that would leave it. */
export function targetPath(destination: string, filePath: string): string {
  const root = path.resolve(destination);
  const target = path.resolve(root, ...filePath.split("/"));
  if (!target.startsWith(root + path.sep)) throw new CliError(`The server listed a file outside the checkpoint: '${filePath}'.`);
  return target;
}

async function sizeOf(file: string): Promise<number | null> {
  return stat(file).then((s) => (s.isFile() ? s.size : null), () => null);
}

async function hashInto(hash: Hash, file: string): Promise<void> {
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash("sha256");
  await hashInto(hash, file);
  return hash.digest("hex");
}

function get(url: string, headers: Record<string, string>): Promise<http.IncomingMessage> {
  const transport = url.startsWith("https:") ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.get(url, { headers }, resolve);
    request.once("error", (error) => reject(new CliError(`Download failed: ${error.message}`)));
  });
}

async function failure(response: http.IncomingMessage): Promise<Error> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  return errorFrom(new Response(body, { status: response.statusCode ?? 500, statusText: response.statusMessage }));
}

type Job = { client: ApiClient; checkpointId: string; file: CheckpointFile; target: string; progress: TransferProgress };

/**
 * One file into `<target>.part`, hashed while written, renamed only when its SHA-256 matches.
 * An existing `.part` is hashed first and continued with a Range request; if the server sends
 * the whole file instead (its ETag changed), the part starts over.
 */
async function downloadFile(job: Job, allowResume = true): Promise<{ outcome: FetchOutcome; transferred: number }> {
  const { client, file, target, progress } = job;
  const part = `${target}.part`;
  await mkdir(path.dirname(target), { recursive: true });
  let offset = allowResume ? ((await sizeOf(part)) ?? 0) : 0;
  if (offset > file.size) offset = 0;
  const hash = createHash("sha256");
  if (offset > 0) {
    await hashInto(hash, part);
    progress.log(`resuming ${file.path} from ${offset} bytes`);
    progress.add(offset);
  }
  let transferred = 0;
  if (offset < file.size) {
    const etag = `"${file.sha256}"`;
    const headers: Record<string, string> = { authorization: client.authorization };
    if (offset > 0) Object.assign(headers, { range: `bytes=${offset}-`, "if-range": etag });
    const response = await get(client.url(`/checkpoints/${seg(job.checkpointId)}/files/${filePathSegments(file.path)}`), headers);
    const status = response.statusCode ?? 0;
    if (status !== 200 && status !== 206) throw await failure(response);
    if (offset > 0 && status === 200) {
      // The server ignored the range: what is on disk is not a prefix of this file.
      response.destroy();
      progress.rewind(offset);
      return downloadFile(job, false);
    }
    // Large batched writes, the chunks handed on as they arrive (see writeBatched): a write stream
    // would make every 64 KiB chunk a round trip through the thread pool.
    const handle = await open(part, offset > 0 ? "r+" : "w");
    try {
      transferred = await writeBatched(response, handle, {
        position: offset,
        onChunk: (chunk) => {
          hash.update(chunk);
          progress.add(chunk.length);
        },
      });
    } finally {
      await handle.close();
    }
  }
  const written = offset + transferred;
  const digest = hash.digest("hex");
  if (written !== file.size || digest !== file.sha256) {
    await rm(part, { force: true });
    progress.rewind(written);
    if (offset > 0) {
      progress.log(`${file.path}: the partial download did not match; starting it over`);
      return downloadFile(job, false);
    }
    throw new CliError(`${file.path}: got ${written} bytes with SHA-256 ${digest}, expected ${file.size} bytes with ${file.sha256}. Run the fetch again.`);
  }
  await rename(part, target);
  return { outcome: offset > 0 ? "resumed" : "downloaded", transferred };
}

async function alreadyPresent(file: CheckpointFile, target: string): Promise<boolean> {
  if ((await sizeOf(target)) !== file.size) return false;
  return (await sha256Of(target)) === file.sha256;
}

/** `cairn checkpoint fetch`: every file of a checkpoint into `destination`, in parallel. */
export async function fetchCheckpoint(client: ApiClient, ref: string, destination: string, parallel: number): Promise<FetchSummary> {
  const checkpoint = await client.get<CheckpointObject>(`/checkpoints/${seg(ref)}`);
  const { status, files = [] } = { status: checkpoint.status.status, files: checkpoint.status.files };
  if (status !== "ready" && status !== "exporting") {
    throw new CliError(`Checkpoint '${checkpoint.metadata.name}' is ${status}; its files can be fetched once it is ready.`);
  }
  const totalBytes = files.reduce((sum, file) => sum + file.size, 0);
  const counts: Record<FetchOutcome, number> = { downloaded: 0, resumed: 0, present: 0 };
  let transferred = 0;
  await mkdir(destination, { recursive: true });
  const progress = new TransferProgress(`fetch ${checkpoint.metadata.name}`, totalBytes, files.length);
  try {
    await inParallel(files, parallel, async (file) => {
      const target = targetPath(destination, file.path);
      if (await alreadyPresent(file, target)) {
        counts.present += 1;
        progress.add(file.size);
        progress.fileDone(file.path, "already present");
        return;
      }
      const result = await downloadFile({ client, checkpointId: checkpoint.metadata.id, file, target, progress });
      counts[result.outcome] += 1;
      transferred += result.transferred;
      progress.fileDone(file.path, result.outcome === "resumed" ? "resumed" : "");
    });
  } finally {
    progress.stop();
  }
  return { files: files.length, bytes: totalBytes, transferred, counts };
}

export function describeFetch(name: string, destination: string, summary: FetchSummary): string {
  const { counts } = summary;
  return (
    `Fetched ${summary.files} files (${formatBytes(summary.bytes)}) of '${name}' into ${path.resolve(destination)}: ` +
    `${counts.downloaded} downloaded, ${counts.resumed} resumed, ${counts.present} already present; ${summary.transferred} bytes transferred.`
  );
}

