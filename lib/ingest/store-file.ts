import type { Readable } from "node:stream";
import { ApiError } from "@/lib/api/errors";
import type { Budget } from "@/lib/checkpoints/limits";
import { filePathProblem } from "@/lib/checkpoints/naming";
import type { Db } from "@/lib/db/client";
import { putFileRow } from "@/lib/db/queries/files";
import { BlobTooLargeError, getBlobStore } from "@/lib/storage";
import { PermanentSourceError } from "@/lib/sources/types";
import type { IngestReporter } from "./progress";

/**
 * Streams one file of an ingest into the blob store (hashing on the way, within the budget) and
 * records it in the manifest. A SHA-256 the source vouches for is checked before the file counts.
 */
export async function storeIngestedFile(
  db: Db,
  ingest: { checkpointId: string; budget: Budget; reporter: IngestReporter; usedBytes: () => number; addUsed: (n: number) => void },
  file: { path: string; stream: Readable; expectedSha256?: string },
): Promise<void> {
  const problem = filePathProblem(file.path);
  if (problem) throw new PermanentSourceError(`The source has a file Cairn cannot store: ${problem}`);
  const maxBytes = Math.max(0, ingest.budget.maxBytes - ingest.usedBytes());
  let blob;
  try {
    blob = await getBlobStore().put(file.stream, { maxBytes, onBytes: (n) => ingest.reporter.addBytes(n) });
  } catch (error) {
    if (error instanceof BlobTooLargeError) throw new PermanentSourceError(ingest.budget.error().message);
    throw error;
  }
  if (file.expectedSha256 && file.expectedSha256.toLowerCase() !== blob.sha256) {
    throw new Error(`${file.path} arrived corrupted: its SHA-256 is ${blob.sha256}, the source says ${file.expectedSha256}.`);
  }
  ingest.addUsed(blob.size);
  await putFileRow(db, { checkpointId: ingest.checkpointId, path: file.path, ...blob });
  ingest.reporter.fileDone();
}

export function isPermanent(error: unknown): boolean {
  return (
    error instanceof PermanentSourceError ||
    error instanceof ApiError ||
    (error as { code?: string } | null)?.code === "EBLOCKEDADDRESS"
  );
}
