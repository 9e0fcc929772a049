import type { Readable } from "node:stream";
import { ApiError } from "@/lib/api/errors";
import type { Budget } from "@/lib/checkpoints/limits";
import { filePathProblem } from "@/lib/checkpoints/naming";
import type { Db } from "@/lib/db/client";
import { putFileRow, recordBlob } from "@/lib/db/queries/files";
import { downloadRanges, type RangedSource } from "@/lib/sources/ranged-stream";
import { PermanentSourceError } from "@/lib/sources/types";
import { BlobTooLargeError, getBlobStore, type BlobStore, type WrittenBlob } from "@/lib/storage";
import type { IngestReporter } from "./progress";

type IngestContext = { checkpointId: string; budget: Budget; reporter: IngestReporter; usedBytes: () => number; addUsed: (n: number) => void };
/** One file to store: its bytes as a stream, or as ranges when the source offers them. */
type IngestedFile = { path: string; open(): Promise<Readable>; ranges?: RangedSource; expectedSha256?: string };

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
  const maxBytes = Math.max(0, ingest.budget.maxBytes - ingest.usedBytes());
  const store = getBlobStore();
  const onBytes = (n: number) => ingest.reporter.addBytes(n);
  let written;
  try {
    written =
      file.ranges && store.openPositional
        ? await downloadToBlob(store.openPositional.bind(store), file.ranges, { maxBytes, onBytes })
        : await store.write(await file.open(), { maxBytes, onBytes });
  } catch (error) {
    if (error instanceof BlobTooLargeError) throw new PermanentSourceError(ingest.budget.error().message);
    throw error;
  }
  const { blob, durable } = written;
  if (file.expectedSha256 && file.expectedSha256.toLowerCase() !== blob.sha256) {
    // Recorded without a file, so blob collection removes it after its grace period unless a file uses it.
    await durable.then(() => recordBlob(db, blob)).catch(() => {});
    throw new Error(`${file.path} arrived corrupted: its SHA-256 is ${blob.sha256}, the source says ${file.expectedSha256}.`);
  }
  ingest.addUsed(blob.size);
  const stored = (async () => {
    await durable;
    await putFileRow(db, { checkpointId: ingest.checkpointId, path: file.path, ...blob });
    ingest.reporter.fileDone();
  })();
  return { stored };
}

/**
 * A large object fetched as parallel ranges straight into a blob's file, each at its offset, hashed
 * behind them (no range is held in memory waiting for the ones before it).
 */
async function downloadToBlob(
  openPositional: NonNullable<BlobStore["openPositional"]>,
  ranges: RangedSource,
  opts: { maxBytes: number; onBytes(n: number): void },
): Promise<WrittenBlob> {
  const target = await openPositional(ranges.size, { maxBytes: opts.maxBytes });
  try {
    await downloadRanges(ranges, target, { onBytes: opts.onBytes });
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
