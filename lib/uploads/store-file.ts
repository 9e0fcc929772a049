import { Readable } from "node:stream";
import { ApiError, notFound } from "@/lib/api/errors";
import { uploadBudget } from "@/lib/checkpoints/limits";
import { filePathProblem } from "@/lib/checkpoints/naming";
import { notWritable, resolveCheckpoint } from "@/lib/checkpoints/service";
import type { Db } from "@/lib/db/client";
import { insertLog, lockCheckpoint } from "@/lib/db/queries/checkpoints";
import { putFileRow } from "@/lib/db/queries/files";
import type { Checkpoint } from "@/lib/db/schema";
import { formatBytes } from "@/lib/format";
import { BlobTooLargeError, getBlobStore, type StoredBlob } from "@/lib/storage";
import type { Caller } from "@/lib/auth/caller";
import { assertWritableByCaller } from "@/lib/jobs/job-access";
import type { StoredFileResponse } from "@/lib/api/schemas/checkpoints";

export function assertFilePath(filePath: string): string {
  const problem = filePathProblem(filePath);
  if (problem) throw new ApiError("validation_failed", problem, { fields: { path: problem } });
  return filePath;
}

/** Records a stored blob as a file of the checkpoint, if the checkpoint still takes files. */
export async function attachBlob(db: Db, checkpoint: Checkpoint, filePath: string, blob: StoredBlob) {
  await db.transaction(async (tx) => {
    const row = await lockCheckpoint(tx, { orgId: checkpoint.orgId, id: checkpoint.id });
    if (!row) throw notFound(`Checkpoint '${checkpoint.name}'`);
    if (row.status !== "uploading") throw notWritable(row);
    await putFileRow(tx, { checkpointId: row.id, path: filePath, ...blob });
    await insertLog(tx, { checkpointId: row.id, message: `Received ${filePath} (${formatBytes(blob.size)}).` });
  });
}

/** `PUT …/files/{path}`: streams the body into the blob store within the cap and quota. */
export async function storeFileFromBody(
  db: Db,
  caller: Caller,
  { ref, filePath, body, contentLength }: {
    ref: string;
    filePath: string;
    body: AsyncIterable<Uint8Array> | null;
    contentLength: number | null;
  },
): Promise<StoredFileResponse> {
  const checkpoint = await resolveCheckpoint(db, { orgId: caller.orgId, ref });
  assertWritableByCaller(caller, checkpoint);
  assertFilePath(filePath);
  if (checkpoint.status !== "uploading") throw notWritable(checkpoint);
  const budget = await uploadBudget(db, checkpoint);
  if (contentLength !== null && contentLength > budget.maxBytes) throw budget.error(contentLength);
  const source = body ?? Readable.from([]);
  let blob: StoredBlob;
  try {
    blob = await getBlobStore().put(source, { maxBytes: budget.maxBytes });
  } catch (error) {
    if (error instanceof BlobTooLargeError) throw budget.error();
    throw error;
  }
  await attachBlob(db, checkpoint, filePath, blob);
  return { path: filePath, ...blob };
}
