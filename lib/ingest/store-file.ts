import type { Readable } from "node:stream";
import { ApiError } from "@/lib/api/errors";
import type { Budget } from "@/lib/checkpoints/limits";
import { filePathProblem } from "@/lib/checkpoints/naming";
import type { Db } from "@/lib/db/client";
import { putFileRow, recordBlob } from "@/lib/db/queries/files";
import { downloadRanges, type RangedSource } from "@/lib/sources/ranged-stream";
import { PermanentSourceError } from "@/lib/sources/types";
import { BlobTooLargeError, getBlobStore, type BlobStore, type StoredBlob, type WrittenBlob } from "@/lib/storage";
import type { IngestReporter } from "./progress";

type IngestContext = {
  checkpointId: string;
  budget: Budget;
  reporter: IngestReporter;
  usedBytes: () => number;
  addUsed: (n: number) => void;
  /** Aborted when the ingest is cancelled or its checkpoint deleted: transfers stop, no more rows are written. */
  signal?: AbortSignal;
  /** Told of every blob this ingest made durable, so a cancelled one can take its blobs back. */
  onStored?: (blob: StoredBlob) => void;
};
/** One file to store: its bytes as a stream, or as ranges when the source offers them. */
type IngestedFile = { path: string; open(opts?: { signal?: AbortSignal }): Promise<Readable>; ranges?: RangedSource; expectedSha256?: string };

/** `stream`, destroyed when `signal` aborts: a source that ignores the signal still stops. */
export function stoppedBy(stream: Readable, signal: AbortSignal | undefined): Readable {
  if (!signal) return stream;
  const stop = () => stream.destroy(signal.reason instanceof Error ? signal.reason : new Error("The ingest was stopped."));
  if (signal.aborted) stop();
  else {
    signal.addEventListener("abort", stop, { once: true });
    stream.once("close", () => signal.removeEventListener("abort", stop));
  }
  return stream;
}

/**
 * Streams one file of an ingest into the blob store (hashing on the way, within the budget) and
 * records it in the manifest. A SHA-256 the source vouches for is checked before the file counts.
 */
export async function storeIngestedFile(db: Db, ingest: IngestContext, file: IngestedFile): Promise<void> {
  await (await writeIngestedFile(db, ingest, file)).stored;
}

/**
 * `storeIngestedFile` in two steps: resolves once the file's bytes are written and checked, with
 * `stored` settling when the blob is flushed and named and the manifest row written (a row only
 * ever names a durable blob). Archive entries come one after another: each streams in while the
 * one before is flushed.
 */
export async function writeIngestedFile(db: Db, ingest: IngestContext, file: IngestedFile): Promise<{ stored: Promise<void> }> {
  const problem = filePathProblem(file.path);
  if (problem) throw new PermanentSourceError(`The source has a file Cairn cannot store: ${problem}`);
  const { signal } = ingest;
  signal?.throwIfAborted();
  const maxBytes = Math.max(0, ingest.budget.maxBytes - ingest.usedBytes());
  const store = getBlobStore();
  const onBytes = (n: number) => ingest.reporter.addBytes(n);
  const download = async (): Promise<WrittenBlob> => {
    try {
      return file.ranges && store.openPositional
        ? await downloadToBlob(store.openPositional.bind(store), file.ranges, { maxBytes, onBytes, signal })
        : await store.write(stoppedBy(await file.open({ signal }), signal), { maxBytes, onBytes });
    } catch (error) {
      if (error instanceof BlobTooLargeError) throw new PermanentSourceError(ingest.budget.error().message);
      throw error;
    }
  };
  const { blob, durable } = await checkVouchedSha256(db, ingest, file, await download(), download);
  ingest.addUsed(blob.size);
  const stored = (async () => {
    await durable;
    ingest.onStored?.(blob);
    // A stopped ingest records no more files (its cleanup takes the blob back).
    if (signal?.aborted) return;
    await putFileRow(db, { checkpointId: ingest.checkpointId, path: file.path, ...blob });
    ingest.reporter.fileDone();
  })();
  return { stored };
}

/**
 * Holds a file to the SHA-256 its source vouches for. A mismatch is downloaded once more at once:
 * bytes damaged on the way differ the second time (and a second mismatch is retried with the
 * ingest), but the same wrong SHA-256 twice means the source holds other bytes than it vouches
 * for, which no retry changes, so the checkpoint fails with that.
 */
async function checkVouchedSha256(db: Db, ingest: IngestContext, file: IngestedFile, first: WrittenBlob, again: () => Promise<WrittenBlob>): Promise<WrittenBlob> {
  const expected = file.expectedSha256?.toLowerCase();
  if (!expected || first.blob.sha256 === expected) return first;
  await leaveToCollection(db, first);
  ingest.reporter.addBytes(-first.blob.size);
  await ingest.reporter.log(`${file.path} arrived corrupted (SHA-256 ${first.blob.sha256}, the source says ${expected}); downloading it again.`, "warn");
  const second = await again();
  if (second.blob.sha256 === expected) return second;
  await leaveToCollection(db, second);
  const corrupted = `${file.path} arrived corrupted: its SHA-256 is ${second.blob.sha256}, the source says ${file.expectedSha256}.`;
  if (second.blob.sha256 !== first.blob.sha256) throw new Error(corrupted);
  throw new PermanentSourceError(
    `${corrupted} It arrived with that SHA-256 twice: the source holds other bytes than it vouches for, and no retry will change them. Fix the file at the source.`,
    "corrupt",
  );
}

/** Records a blob no file uses, so blob collection removes it after its grace period (unless a file comes to use it). */
async function leaveToCollection(db: Db, { blob, durable }: WrittenBlob): Promise<void> {
  await durable.then(() => recordBlob(db, blob)).catch(() => {});
}

/**
 * A large object fetched as parallel ranges straight into a blob's file, each at its offset, hashed
 * behind them (no range is held in memory waiting for the ones before it).
 */
async function downloadToBlob(
  openPositional: NonNullable<BlobStore["openPositional"]>,
  ranges: RangedSource,
  opts: { maxBytes: number; onBytes(n: number): void; signal?: AbortSignal },
): Promise<WrittenBlob> {
  const target = await openPositional(ranges.size, { maxBytes: opts.maxBytes });
  try {
    await downloadRanges(ranges, target, { onBytes: opts.onBytes, signal: opts.signal });
  } catch (error) {
    await target.abort();
    throw error;
  }
  return target.finish();
}

export function isPermanent(error: unknown): boolean {
  return (
    error instanceof PermanentSourceError ||
    error instanceof ApiError ||
    (error as { code?: string } | null)?.code === "EBLOCKEDADDRESS"
  );
}
