import "server-only";
import { EventEmitter, once } from "node:events";
import { resolveCheckpoint } from "@/lib/checkpoints/service";
import { isComplete } from "@/lib/checkpoints/kinds";
import { ApiError } from "@/lib/api/errors";
import type { Db } from "@/lib/db/client";
import { listFiles } from "@/lib/db/queries/files";
import { putTensorDigests, tensorDigests } from "@/lib/db/queries/model-facts";
import { enqueueTensorDigests, type DigestsTask } from "@/lib/queue/tasks";
import { getBlobStore, type BlobStore } from "@/lib/storage";
import { blobSource } from "./blob-source";
import { diffFiles, diffTensors, type CheckpointDiff, type DiffTensor } from "./diff";
import { digestTensors } from "./tensor-digest";
import { isTrainingState } from "./training-state";
import { readWeights, weightFormatOf } from "./weights";
import type { CheckpointDiffResponse } from "@/lib/api/schemas/checkpoints";

type StoredFile = { path: string; size: number; sha256: string };

/**
 * Tensor headers by blob, kept across requests: a blob's bytes never change, so neither does what
 * its header says. Bounded; the oldest entries go first.
 */
const HEADER_CACHE_SIZE = 2000;
const headerCache = new Map<string, DiffTensor[] | null>();
/** Settled diffs by checkpoint pair (ids), kept across requests; bounded, the oldest go first. */
const SETTLED_CACHE_SIZE = 500;
const settledDiffs = new Map<string, CheckpointDiff>();
type DigestRow = { status: string; tensors: Record<string, unknown> | null; problem: string | null };

/** Says "settled" when this process stored a blob's digests, so a waiting diff looks again at once. */
const digestEvents = new EventEmitter().setMaxListeners(0);
/** How often a waiting diff looks again without a word from this process (digests from a worker process). */
const RECHECK_MS = 1000;

/**
 * Compares two checkpoints of the caller's organization (or the public catalog): files by SHA-256,
 * and the model's tensors by header and per-tensor SHA-256. Digests are computed once per blob in
 * the background; until they are, the answer is `computing` and asking again is cheap. With
 * `waitMs`, a `computing` answer is held back until the digests are in or the time is up, whichever
 * comes first: the caller asks once instead of polling.
 */
export async function compareCheckpoints(db: Db, input: { orgId: string; a: string; b: string; waitMs?: number }): Promise<CheckpointDiffResponse> {
  const deadline = Date.now() + (input.waitMs ?? 0);
  for (;;) {
    const diff = await compareOnce(db, input);
    const left = deadline - Date.now();
    if (diff.status !== "computing" || left <= 0) return diff;
    const signal = AbortSignal.timeout(Math.min(left, RECHECK_MS));
    await once(digestEvents, "settled", { signal }).catch(() => undefined);
  }
}

async function compareOnce(db: Db, { orgId, a, b }: { orgId: string; a: string; b: string }): Promise<CheckpointDiff> {
  const [left, right] = await Promise.all([resolveCheckpoint(db, { orgId, ref: a, allowPublic: true }), resolveCheckpoint(db, { orgId, ref: b, allowPublic: true })]);
  for (const row of [left, right]) {
    if (!isComplete(row.status)) throw new ApiError("conflict", `Checkpoint '${row.name}' is '${row.status}'; only ready checkpoints can be compared. Wait until it is ready.`, { status: row.status });
  }
  // A ready checkpoint's files never change, so neither does a settled answer about two of them.
  const settledKey = `${left.id}:${right.id}`;
  const settled = settledDiffs.get(settledKey);
  if (settled) return settled;
  const diff = await diffOf(db, left.id, right.id);
  if (diff.status === "ready") {
    if (settledDiffs.size >= SETTLED_CACHE_SIZE) settledDiffs.delete(settledDiffs.keys().next().value!);
    settledDiffs.set(settledKey, diff);
  }
  return diff;
}

async function diffOf(db: Db, leftId: string, rightId: string): Promise<CheckpointDiff> {
  const [before, after] = await Promise.all([listFiles(db, { checkpointId: leftId }), listFiles(db, { checkpointId: rightId })]);
  const files = diffFiles(before, after);

  const store = getBlobStore();
  const problems: string[] = [];
  const headers = new Map<string, Promise<DiffTensor[] | null>>();
  const tensorsOf = async (list: StoredFile[]) => {
    const weightFiles = list.filter((f) => weightFormatOf(f.path) !== null && !isTrainingState(f.path));
    const read = await Promise.all(weightFiles.map((f) => cached(headers, f.sha256, () => readHeader(store, f, problems))));
    return read.flatMap((tensors) => tensors ?? []);
  };
  const [x, y] = await Promise.all([tensorsOf(before), tensorsOf(after)]);
  if (x.length === 0 && y.length === 0) return { status: "ready", files, tensors: null, parameters: null, problems };

  // Digests only for blobs whose same-named tensors may differ: the same blob holds the same bytes.
  const inA = new Map(x.map((t) => [t.name, t.blob]));
  const needed = new Set<string>();
  for (const t of y) {
    const other = inA.get(t.name);
    if (other && other !== t.blob) needed.add(other).add(t.blob);
  }
  const rows = new Map((await tensorDigests(db, { sha256s: [...needed] })).map((row) => [row.sha256, row as DigestRow]));
  for (const sha of needed) {
    const row = rows.get(sha);
    if (row?.status === "failed" && row.problem) problems.push(`${pathOf(before, after, sha)}: ${row.problem}`);
    if (row) continue;
    const file = [...before, ...after].find((f) => f.sha256 === sha);
    if (file) await enqueueTensorDigests({ sha256: sha, size: file.size, path: file.path });
  }
  const digestOf = (blob: string, name: string): string | null | undefined => {
    const row = rows.get(blob);
    if (!row || row.status === "computing") return undefined;
    const entry = row.tensors?.[name] as { sha256?: string } | undefined;
    return entry?.sha256 ?? null;
  };
  const result = diffTensors(x, y, digestOf);
  return { status: result.status, files, tensors: result.tensors, parameters: result.parameters, problems };
}

/** Computes and stores one blob's per-tensor SHA-256s: reads each tensor's bytes once, in file order. */
export async function computeTensorDigests(db: Db, task: DigestsTask): Promise<void> {
  try {
    await digestBlob(db, task);
  } finally {
    digestEvents.emit("settled", task.sha256);
  }
}

async function digestBlob(db: Db, task: DigestsTask): Promise<void> {
  const store = getBlobStore();
  const source = blobSource(store, { sha256: task.sha256, size: task.size });
  try {
    const reading = await readWeights(task.path, source);
    if (!reading) {
      await putTensorDigests(db, { sha256: task.sha256, status: "failed", tensors: null, problem: "is not a tensor file this reader knows" });
      return;
    }
    const digests = await digestTensors(source, reading.tensors);
    const tensors = Object.fromEntries(
      reading.tensors.map((t) => [t.name, { dtype: t.dtype, shape: t.shape, parameters: t.parameters, sha256: digests[t.name] ?? null }]),
    );
    await putTensorDigests(db, { sha256: task.sha256, status: "ready", tensors, problem: null });
  } catch (error) {
    await putTensorDigests(db, { sha256: task.sha256, status: "failed", tensors: null, problem: (error as Error).message });
  }
}

async function readHeader(store: BlobStore, file: StoredFile, problems: string[]): Promise<DiffTensor[] | null> {
  const key = `${file.sha256}:${file.path.split(".").pop()}`;
  if (headerCache.has(key)) return headerCache.get(key)!;
  try {
    const reading = await readWeights(file.path, blobSource(store, file));
    const tensors = (reading?.tensors ?? [])
      .filter((t) => t.group !== "optimizer")
      .map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, parameters: t.parameters, blob: file.sha256 }));
    if (headerCache.size >= HEADER_CACHE_SIZE) headerCache.delete(headerCache.keys().next().value!);
    headerCache.set(key, tensors);
    return tensors;
  } catch (error) {
    problems.push(`${file.path}: ${(error as Error).message}`);
    return null;
  }
}

function cached<T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  let value = cache.get(key);
  if (!value) {
    value = load();
    cache.set(key, value);
  }
  return value;
}

const pathOf = (a: StoredFile[], b: StoredFile[], sha: string) => [...a, ...b].find((f) => f.sha256 === sha)?.path ?? sha.slice(0, 12);
