import { randomUUID } from "node:crypto";
import { afterCheckpointReady } from "@/lib/checkpoints/on-ready";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { archiveKind, archiveLimits, extractArchive } from "@/lib/archive/extract";
import { uploadBudget } from "@/lib/checkpoints/limits";
import { config } from "@/lib/config";
import { openConnection } from "@/lib/connections/service";
import type { Db } from "@/lib/db/client";
import { claimIngest, completeIngest, ingestState, releaseIngest, resetCancelledTotals } from "@/lib/db/queries/ingest";
import { deleteFileRows, forgetBlobWrittenSince } from "@/lib/db/queries/files";
import { insertLog } from "@/lib/db/queries/checkpoints";
import type { Checkpoint } from "@/lib/db/schema";
import { formatBytes } from "@/lib/format";
import { sourceAdapter } from "@/lib/sources/registry";
import { PermanentSourceError, type SourceFile, type SourceListing } from "@/lib/sources/types";
import { getBlobStore, type StoredBlob } from "@/lib/storage";
import { notifyCheckpoint } from "@/lib/webhooks/events";
import { stopReason, watchForStop, type StopReason } from "./cancel";
import { IngestLostError, IngestReporter } from "./progress";
import { isPermanent, stoppedBy, storeIngestedFile, writeIngestedFile } from "./store-file";
import { keepStoredFiles, type KeptFiles } from "./kept-files";
import { inParallel } from "@/lib/async/in-parallel";
import { withTrailingWork } from "@/lib/async/trailing-work";

/** An ingest whose owner has not reported for this long is considered dead and may be taken over. */
export const STALE_INGEST_MS = 2 * 60 * 1000;
const PARALLEL_FILES = 4;
/** Archive entries whose flush may still run while the next entry streams in. */
const FLUSHING_ENTRIES = 4;
export const MAX_INGEST_ATTEMPTS = 5;

type Ingest = Parameters<typeof storeIngestedFile>[1];

/** The log line of a retry that keeps files: "Kept 37 of 40 files (1.2 GB) …". */
async function logKept(ingest: Ingest, kept: KeptFiles, of: number): Promise<void> {
  if (kept.paths.size === 0) return;
  const rest = of - kept.paths.size;
  await ingest.reporter.log(
    `Kept ${kept.paths.size} of ${of} file${of === 1 ? "" : "s"} (${formatBytes(kept.bytes)}) from earlier attempts, stored and verified; ${rest === 0 ? "nothing left to fetch" : `fetching the other ${rest}`}.`,
  );
}

async function ingestTree(db: Db, ingest: Ingest, files: SourceFile[], kept: KeptFiles): Promise<void> {
  if (files.length === 0) throw new PermanentSourceError("The source path holds no files. Check the path and try again.");
  const known = files.every((f) => f.size !== null);
  const total = known ? files.reduce((sum, f) => sum + (f.size ?? 0), 0) : null;
  if (total !== null && total - kept.bytes > ingest.budget.maxBytes) throw new PermanentSourceError(ingest.budget.error(total - kept.bytes).message);
  ingest.reporter.set({ filesTotal: files.length, bytesTotal: total });
  await ingest.reporter.flush();
  await ingest.reporter.log(`Found ${files.length} file${files.length === 1 ? "" : "s"}${total === null ? "" : `, ${formatBytes(total)}`}.`);
  await logKept(ingest, kept, files.length);
  const missing = files.filter((file) => !kept.paths.has(file.path));
  // A lane moves on to its next file while the last one it wrote is flushed.
  await withTrailingWork(PARALLEL_FILES, (flushing) =>
    inParallel(missing, PARALLEL_FILES, async (file) => {
      const { stored } = await writeIngestedFile(db, ingest, { path: file.path, open: (o) => file.open(o), ranges: file.ranges, expectedSha256: file.sha256 });
      await flushing.add(stored.then(() => ingest.reporter.log(`Stored ${file.path}${file.size === null ? "" : ` (${formatBytes(file.size)})`}.`)));
    }),
  );
}

async function ingestSingle(db: Db, ingest: Ingest, listing: Extract<SourceListing, { kind: "single" }>, scratchDir: string, kept: KeptFiles) {
  const { file, name } = listing;
  if (!archiveKind(name)) {
    ingest.reporter.set({ filesTotal: 1, bytesTotal: file.size });
    if (kept.paths.has(name)) return logKept(ingest, kept, 1);
    await ingest.reporter.log(`Downloading ${name}${file.size === null ? "" : ` (${formatBytes(file.size)})`}.`);
    await storeIngestedFile(db, ingest, { path: name, open: (o) => file.open(o), ranges: file.ranges, expectedSha256: file.sha256 });
    return;
  }
  ingest.reporter.set({ status: "extracting", bytesTotal: null, filesTotal: null });
  await ingest.reporter.flush();
  await ingest.reporter.log(`Extracting ${name}${file.size === null ? "" : ` (${formatBytes(file.size)} compressed)`}.`);
  // Each entry streams in while the ones before it are flushed (an fsync of a 256 MiB entry takes
  // ~0.5 s here; one after the other they stalled the archive's stream for seconds).
  const result = await withTrailingWork(FLUSHING_ENTRIES, (flushing) =>
    extractArchive({
      name,
      open: async () => stoppedBy(await file.open({ signal: ingest.signal }), ingest.signal),
      signal: ingest.signal,
      scratchDir,
      limits: archiveLimits(ingest.budget.maxBytes),
      onEntry: async (entryPath, stream) => {
        const { stored } = await writeIngestedFile(db, ingest, { path: entryPath, open: async () => stream });
        await flushing.add(stored);
      },
    }),
  );
  await ingest.reporter.log(`Extracted ${result.entries} files, ${formatBytes(result.bytes)}.`);
}

/**
 * Runs the ingest of one checkpoint end to end: claim, list the source, stream every file into
 * the blob store (extracting archives), then seal it `ready` in one step. Permanent failures end
 * in `failed` with the reason; transient ones hand the checkpoint back and rethrow, so the queue
 * retries — and the retry fetches only the files no earlier attempt stored and verified. Never
 * leaves a `ready` checkpoint with missing bytes.
 */
export async function runIngest(db: Db, checkpointId: string, opts: { finalAttempt?: boolean } = {}): Promise<void> {
  const token = randomUUID();
  const row: Checkpoint | null = await db.transaction(async (tx) => {
    // The files earlier attempts stored stay until the listing says which of them still hold (keepStoredFiles).
    return claimIngest(tx, { checkpointId, token, staleBefore: new Date(Date.now() - STALE_INGEST_MS) });
  });
  if (!row) return;
  const lease = { checkpointId, token };
  const reporter = new IngestReporter(db, lease);
  // Aborted by a cancel or a delete of the checkpoint, from this process or (through its row) any other.
  const controller = new AbortController();
  const stopWatching = watchForStop(db, lease, controller);
  const stored: StoredBlob[] = [];
  const adapter = sourceAdapter(row.sourceType);
  const scratchDir = path.join(config().dataDir, "scratch", `${checkpointId}-${token.slice(0, 8)}`);
  let used = 0;
  // Listing a large bucket or cloning a repository can be quiet for minutes; keep the lease alive.
  const heartbeat = setInterval(() => reporter.flush().catch(() => {}), 20_000);
  try {
    if (!adapter) throw new PermanentSourceError(`Source type '${row.sourceType}' is not available on this server.`);
    await mkdir(scratchDir, { recursive: true });
    await reporter.log(`Attempt ${row.ingestAttempts}: reading ${row.sourceUri ?? ""} (${row.sourceType}).`);
    const connection = row.connection ? await openConnection(db, { orgId: row.orgId, ref: row.connection }) : null;
    const listing = await adapter.list({
      uri: row.sourceUri ?? "",
      options: row.sourceOptions,
      connection,
      scratchDir,
      signal: controller.signal,
      log: (message) => reporter.log(message),
    });
    // An archive is extracted anew: its entries only come out of the whole download.
    const offered = listing.kind === "tree" ? listing.files : archiveKind(listing.name) ? [] : [{ ...listing.file, path: listing.name }];
    const kept = await keepStoredFiles(db, { checkpointId, offered });
    reporter.addBytes(kept.bytes);
    reporter.filesDone += kept.paths.size;
    const ingest: Ingest = {
      checkpointId,
      budget: await uploadBudget(db, { ...row, size: kept.bytes }),
      reporter,
      usedBytes: () => used,
      addUsed: (n) => {
        used += n;
      },
      signal: controller.signal,
      onStored: (blob) => stored.push(blob),
    };
    if (listing.kind === "tree") await ingestTree(db, ingest, listing.files, kept);
    else await ingestSingle(db, ingest, listing, scratchDir, kept);
    await reporter.flush();
    const sealed = await completeIngest(db, lease);
    if (!sealed) throw new IngestLostError();
    await insertLog(db, { checkpointId, message: `Ready: ${sealed.fileCount} files, ${formatBytes(sealed.size)}.` });
    await afterCheckpointReady(sealed);
  } catch (error) {
    const stop = stopReason(controller.signal) ?? (error instanceof IngestLostError ? await stopReasonFromRow(db, lease) : null);
    if (stop === "cancelled" || stop === "deleted") {
      await takeBack(db, checkpointId, stored, row.updatedAt);
      await insertLog(db, { checkpointId, level: "warn", message: `Stopped: the checkpoint was ${stop}. Nothing this attempt downloaded was kept.` });
      return;
    }
    if (stop === "lost" || error instanceof IngestLostError) return;
    const message = error instanceof Error ? error.message : String(error);
    const permanent = isPermanent(error) || opts.finalAttempt || row.ingestAttempts >= MAX_INGEST_ATTEMPTS;
    // A retry keeps what this attempt stored (keepStoredFiles); a failed checkpoint keeps nothing.
    await db.transaction(async (tx) => {
      if (permanent) await deleteFileRows(tx, { checkpointId });
      await releaseIngest(tx, lease, { status: permanent ? "failed" : "new", message: permanent ? message : `Retrying after: ${message}` });
    });
    await insertLog(db, { checkpointId, level: permanent ? "error" : "warn", message: permanent ? `Failed: ${message}` : `Attempt failed, will retry: ${message}` });
    if (permanent) await notifyCheckpoint("checkpoint.failed", row, db);
    if (!permanent) throw error;
  } finally {
    stopWatching();
    clearInterval(heartbeat);
    await adapter?.close?.().catch(() => {});
    await rm(scratchDir, { recursive: true, force: true });
  }
}

/** Why an ingest lost its lease, read from its row: cancelled or deleted, or taken over by another worker. */
async function stopReasonFromRow(db: Db, lease: { checkpointId: string; token: string }): Promise<StopReason> {
  const state = await ingestState(db, lease);
  if (!state || state.deletedAt) return "deleted";
  return state.ingestToken === null ? "cancelled" : "lost";
}

/**
 * After a cancelled or deleted ingest stopped (every transfer ended, every flush settled): the file
 * rows it wrote while stopping go, and so do the blobs it stored that nothing else uses (blobs
 * recorded before it started, or referenced by any file, stay). Temp files went with the transfers.
 */
async function takeBack(db: Db, checkpointId: string, stored: StoredBlob[], since: Date): Promise<void> {
  await db.transaction(async (tx) => {
    await deleteFileRows(tx, { checkpointId });
    await resetCancelledTotals(tx, { checkpointId });
  });
  const store = getBlobStore();
  for (const blob of stored) {
    if (await forgetBlobWrittenSince(db, { sha256: blob.sha256, since })) await store.delete(blob.sha256).catch(() => {});
  }
}
