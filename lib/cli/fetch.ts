import { inParallel } from "@/lib/async/in-parallel";
import { downloadRanges } from "@/lib/sources/ranged-stream";
import { PermanentSourceError } from "@/lib/sources/types";
import { writeBatched } from "@/lib/storage/batched-write";
import { openPositionalFile } from "@/lib/storage/positional-file";
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import path from "node:path";
import type { Readable } from "node:stream";
import { ApiClient, errorFrom, filePathSegments, seg } from "./client";
import { CliError } from "./config";
import { TransferProgress } from "./progress";
import { formatBytes } from "./table";
import type { CheckpointFileResponse as CheckpointFile, CheckpointResponse } from "@/lib/api/schemas/checkpoints";

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

/** A GET; with `timeout`, a connection that goes quiet that long is dropped, not waited on for ever. */
function get(url: string, headers: Record<string, string>, options: Pick<http.RequestOptions, "agent" | "signal" | "timeout"> = {}): Promise<http.IncomingMessage> {
  const transport = url.startsWith("https:") ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.get(url, { headers, ...options }, resolve);
    request.once("error", (error) => reject(new CliError(`Download failed: ${error.message}`)));
    request.once("timeout", () => request.destroy(new Error(`the server sent nothing for ${(options.timeout ?? 0) / 1000} s`)));
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

/**
 * Files this large are fetched as parallel ranges, each written at its offset and hashed behind
 * them on a thread of its own. Ranges are large because every request costs the server a route, a
 * token and a manifest lookup: fetching 1 GiB as 8 MiB ranges cost the server ~1.5–2.5 s of CPU,
 * as 64 MiB ranges ~0.6 s, and ran a third faster (`npm run bench fetch` machine, 2 CPUs).
 */
const RANGED_MIN_BYTES = 64 * 1024 * 1024;
const RANGE_BYTES = 64 * 1024 * 1024;
const RANGE_LANES = 4;
/** How far a ranged download got is recorded beside its `.part` at most this often. */
const RECORD_EVERY_BYTES = 16 * 1024 * 1024;
const RANGE_IDLE_TIMEOUT_MS = 60_000;

const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

/** What `<file>.part.json` says of a ranged download: the bytes from 0 to `prefix` are on the `.part`. */
type PartRecord = { sha256: string; size: number; prefix: number };

/**
 * Where a download may continue: a ranged `.part` (written out of order) from the prefix its record
 * vouches for, a `.part` without a record (written in order) from its length.
 */
async function resumePoint(part: string, record: string, file: CheckpointFile): Promise<number> {
  const partSize = await sizeOf(part);
  if (partSize === null) return 0;
  const text = await readFile(record, "utf8").catch(() => null);
  if (text === null) return partSize <= file.size ? partSize : 0;
  let saved: Partial<PartRecord> | null;
  try {
    saved = JSON.parse(text) as Partial<PartRecord> | null;
  } catch {
    return 0;
  }
  if (typeof saved !== "object" || saved === null || saved.sha256 !== file.sha256 || saved.size !== file.size) return 0;
  if (!Number.isSafeInteger(saved.prefix) || (saved.prefix as number) < 0) return 0;
  return Math.min(saved.prefix as number, partSize);
}

/** One range of a checkpoint file; what a retry cannot fix (4xx, a changed file) rejects as permanent. */
async function getRange(url: string, authorization: string, etag: string, start: number, end: number, signal: AbortSignal): Promise<Readable> {
  const agent = url.startsWith("https:") ? agents.https : agents.http;
  const headers = { authorization, range: `bytes=${start}-${end}`, "if-range": etag };
  // A quiet connection is dropped and the range retried.
  const response = await get(url, headers, { agent, signal, timeout: RANGE_IDLE_TIMEOUT_MS });
  const status = response.statusCode ?? 0;
  if (status === 206) return response;
  if (status === 200) {
    response.destroy();
    throw new PermanentSourceError("The file changed on the server while it was fetched. Run the fetch again.");
  }
  const error = await failure(response);
  throw status >= 400 && status < 500 ? new PermanentSourceError(error.message) : error;
}

/**
 * A large file as parallel ranges into `<target>.part`, each written at its offset, its SHA-256
 * computed behind them on a thread of its own; renamed only when it matches. How far the bytes
 * are contiguous is recorded in `<target>.part.json` as they arrive, and a later fetch continues
 * from there (a `.part` without a record, from an in-order download, continues from its length).
 */
async function downloadRanged(job: Job, allowResume = true): Promise<{ outcome: FetchOutcome; transferred: number }> {
  const { client, file, target, progress } = job;
  const part = `${target}.part`;
  const record = `${part}.json`;
  await mkdir(path.dirname(target), { recursive: true });
  const resumeFrom = allowResume ? await resumePoint(part, record, file) : 0;
  if (resumeFrom > 0) {
    progress.log(`resuming ${file.path} from ${resumeFrom} bytes`);
    progress.add(resumeFrom);
  }
  // Written aside and renamed over the record, so a fetch killed mid-write leaves the old one whole.
  const save = async (prefix: number) => {
    await writeFile(`${record}.new`, JSON.stringify({ sha256: file.sha256, size: file.size, prefix } satisfies PartRecord));
    await rename(`${record}.new`, record);
  };
  // Before any byte lands out of order, so the `.part` is never taken for an in-order one.
  await save(resumeFrom);
  let saved = resumeFrom;
  let saving: Promise<void> = Promise.resolve();
  const positional = await openPositionalFile(part, file.size, {
    resumeFrom,
    onPrefix: (prefix) => {
      if (prefix - saved < RECORD_EVERY_BYTES && prefix < file.size) return;
      saved = prefix;
      saving = saving.then(() => save(prefix)).catch(() => {});
    },
  });
  let transferred = 0;
  const url = client.url(`/checkpoints/${seg(job.checkpointId)}/files/${filePathSegments(file.path)}`);
  const etag = `"${file.sha256}"`;
  let digest: string;
  try {
    await downloadRanges(
      { size: file.size, rangeSize: RANGE_BYTES, concurrency: RANGE_LANES, attempts: 3, fetchRange: (start, end, signal) => getRange(url, client.authorization, etag, start, end, signal) },
      positional,
      {
        from: resumeFrom,
        onBytes: (n) => {
          transferred += n;
          if (n >= 0) progress.add(n);
          else progress.rewind(-n);
        },
      },
    );
    digest = await positional.finish();
  } catch (error) {
    await positional.abort();
    await saving;
    // The `.part` and its record stay: the next fetch continues from what is contiguous.
    throw error instanceof PermanentSourceError ? new CliError(`${file.path}: ${error.message}`) : error;
  }
  await positional.handle.close();
  await saving;
  const forgetRecord = () => Promise.all([rm(record, { force: true }), rm(`${record}.new`, { force: true })]);
  if (digest !== file.sha256) {
    await rm(part, { force: true });
    await forgetRecord();
    progress.rewind(file.size);
    if (resumeFrom > 0) {
      progress.log(`${file.path}: the partial download did not match; starting it over`);
      return downloadRanged(job, false);
    }
    throw new CliError(`${file.path}: got ${file.size} bytes with SHA-256 ${digest}, expected ${file.sha256}. Run the fetch again.`);
  }
  await rename(part, target);
  await forgetRecord();
  return { outcome: resumeFrom > 0 ? "resumed" : "downloaded", transferred };
}

/**
 * One checkpoint file into `target`, verified by its SHA-256: parallel ranges written at their
 * offsets for large files, one stream otherwise; resumes a `.part` left by an earlier attempt.
 */
export async function fetchFileVerified(
  client: ApiClient,
  { checkpointId, file, target, progress }: { checkpointId: string; file: CheckpointFile; target: string; progress: TransferProgress },
): Promise<{ outcome: FetchOutcome; transferred: number }> {
  const job = { client, checkpointId, file, target, progress };
  return file.size >= RANGED_MIN_BYTES ? downloadRanged(job) : downloadFile(job);
}

async function alreadyPresent(file: CheckpointFile, target: string): Promise<boolean> {
  if ((await sizeOf(target)) !== file.size) return false;
  return (await sha256Of(target)) === file.sha256;
}

/** `cairn checkpoint fetch`: every file of a checkpoint into `destination`, in parallel. */
export async function fetchCheckpoint(client: ApiClient, ref: string, destination: string, parallel: number): Promise<FetchSummary> {
  const checkpoint = await client.get<CheckpointResponse>(`/checkpoints/${seg(ref)}`);
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
      const result = await fetchFileVerified(client, { checkpointId: checkpoint.metadata.id, file, target, progress });
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

