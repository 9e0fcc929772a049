import { randomUUID } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { openConnection } from "@/lib/connections/service";
import type { Db } from "@/lib/db/client";
import { claimExport, completeExport, reportExport } from "@/lib/db/queries/exports";
import { listFiles } from "@/lib/db/queries/files";
import { formatBytes } from "@/lib/format";
import { getBlobStore } from "@/lib/storage";
import { PermanentSourceError } from "@/lib/sources/types";
import { describeWriteError, openDestination, type Destination } from "./destinations";
import { ExportLostError, ExportReporter } from "./progress";
import { inParallel } from "@/lib/async/in-parallel";

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;

/** A running export whose worker has not reported for this long is considered dead. */
export const STALE_EXPORT_MS = 2 * 60 * 1000;
const PARALLEL_FILES = 4;

/** Counts bytes as they leave the blob store, so progress moves within large files too. */
function counting(onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      onBytes(chunk.length);
      callback(null, chunk);
    },
  });
}

type ManifestFile = Awaited<ReturnType<typeof listFiles>>[number];

async function copyFiles(files: ManifestFile[], reporter: ExportReporter, destination: Destination): Promise<void> {
  const store = getBlobStore();
  await inParallel(files, PARALLEL_FILES, async (file) => {
    if (reporter.lost) throw new ExportLostError();
    const source = await store.get(file.sha256);
    const body = source.pipe(counting((n) => reporter.addBytes(n)));
    source.once("error", (error) => body.destroy(error));
    try {
      await destination.write(file.path, body, file.size);
    } finally {
      source.destroy();
    }
    reporter.fileDone();
  });
}

/**
 * Runs one export end to end: claim it, write every file of the checkpoint under the
 * destination prefix (several at once, multipart for large ones), then mark it succeeded — or
 * failed with a sentence saying why. Either way the checkpoint goes back to `ready` once no other
 * export of it is running. Never throws: an export is not retried (a half-written prefix is for
 * the person to judge), so the queue has nothing to do with a failure.
 */
export async function runExport(db: Db, exportId: string): Promise<void> {
  const token = randomUUID();
  const row = await claimExport(db, { exportId, token });
  if (!row) return;
  const lease = { exportId, token, checkpointId: row.checkpointId };
  const reporter = new ExportReporter(db, lease);
  const heartbeat = setInterval(() => reporter.flush().catch(() => {}), 20_000);
  let label = row.destinationPath;
  try {
    const files = await listFiles(db, { checkpointId: row.checkpointId });
    const bytesTotal = files.reduce((sum, f) => sum + f.size, 0);
    await reportExport(db, lease, { bytesTotal, filesTotal: files.length });
    const connection = await openConnection(db, { orgId: row.orgId, ref: row.connectionId }).catch(() => {
      throw new PermanentSourceError(`The connection '${row.connection}' was deleted before the export ran. Export again with another connection.`);
    });
    const destination = await openDestination(connection, row.destinationPath);
    label = destination.label;
    await reporter.log(`Export ${row.id.slice(0, 8)}: writing ${plural(files.length, "file")}, ${formatBytes(bytesTotal)}, to ${label} (connection '${row.connection}').`);
    await destination.check();
    await copyFiles(files, reporter, destination);
    const done = await completeExport(db, lease, {
      status: "succeeded",
      message: null,
      progress: { bytesDone: bytesTotal, filesDone: files.length },
    });
    if (done) await reporter.log(`Export ${row.id.slice(0, 8)}: wrote ${plural(files.length, "file")}, ${formatBytes(bytesTotal)}, to ${label}.`);
  } catch (error) {
    if (error instanceof ExportLostError) return;
    const message = describeWriteError(error, label);
    const failed = await completeExport(db, lease, {
      status: "failed",
      message,
      progress: { bytesDone: reporter.bytesDone, filesDone: reporter.filesDone },
    }).catch(() => null);
    if (failed) await reporter.log(`Export ${row.id.slice(0, 8)} failed: ${message}`, "error").catch(() => {});
  } finally {
    clearInterval(heartbeat);
  }
}
