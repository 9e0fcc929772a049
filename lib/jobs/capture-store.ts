import { constants, createReadStream } from "node:fs";
import { lstat, open, readlink, realpath } from "node:fs/promises";
import path from "node:path";
import { withTrailingWork } from "@/lib/async/trailing-work";
import { isUniqueViolation } from "@/lib/auth/accounts";
import type { Db } from "@/lib/db/client";
import { findCheckpoint, insertCheckpoint, insertLog, updateCheckpoint } from "@/lib/db/queries/checkpoints";
import { putFileRow } from "@/lib/db/queries/files";
import { insertCapture, updateCapture } from "@/lib/db/queries/jobs";
import { formatBytes } from "@/lib/format";
import { uploadBudget } from "@/lib/checkpoints/limits";
import { BlobTooLargeError, getBlobStore } from "@/lib/storage";
import { ProgressReporter } from "@/lib/tasks/progress-reporter";

/** Captured files whose flush may still run while the next one is stored. */
const FLUSHING_FILES = 4;

export type CapturingJob = { id: string; orgId: string; name: string; creatorUserId: string | null };
export type CaptureFile = { absolute: string; path: string };

/** `<job>-<part>` squeezed into the naming rule (lower case, a-z 0-9 . _ -, ≤ 63, alphanumeric ends). */
export function captureName(jobName: string, part: string, suffix = ""): string {
  const cleanPart = part.toLowerCase().replace(/[^a-z0-9._-]+/g, "-");
  const room = 63 - suffix.length;
  const joined = `${jobName}-${cleanPart}`.slice(0, room).replace(/[^a-z0-9]+$/, "").replace(/^[^a-z0-9]+/, "");
  return `${joined || "output"}${suffix}`;
}

/** The training step a name carries: `step-2000`, `checkpoint-500`, `global_step300`, `epoch_3`, `1200`. */
export function stepFromName(name: string): number | null {
  const match = /(?:step|checkpoint|ckpt|iter(?:ation)?|epoch)[-_]?(\d{1,9})(?!.*\d)/i.exec(name) ?? /^(\d{1,9})$/.exec(name);
  return match?.[1] ? Number(match[1]) : null;
}

/** Inserts the checkpoint under the first free name of `<base>`, `<base>-2`, `<base>-3`, … */
async function insertUniquelyNamed(
  db: Db,
  job: CapturingJob,
  part: string,
  values: { sourceUri: string; step: number | null; bytesTotal: number; filesTotal: number },
) {
  for (let attempt = 1; attempt < 1000; attempt += 1) {
    const name = captureName(job.name, part, attempt === 1 ? "" : `-${attempt}`);
    if (await findCheckpoint(db, { orgId: job.orgId, name })) continue;
    try {
      return await insertCheckpoint(db, {
        orgId: job.orgId,
        name,
        creatorUserId: job.creatorUserId,
        sourceType: "job",
        sourceUri: values.sourceUri,
        status: "downloading",
        producedByJobId: job.id,
        step: values.step,
        bytesTotal: values.bytesTotal,
        filesTotal: values.filesTotal,
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
  }
  throw new Error(`no free checkpoint name for ${part}`);
}

/**
 * Opens a regular file of the output directory. The job may swap a file or a parent directory
 * for a symlink between the scan and the open, so the opened file's real path is checked too.
 */
async function openRegular(file: string, root: string) {
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new Error(`${path.basename(file)} is not a regular file`);
    const opened = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => realpath(file));
    if (!opened.startsWith(`${await realpath(root)}${path.sep}`)) throw new Error(`${path.basename(file)} leads outside the output directory`);
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * Stores a set of output files as a new `ready` checkpoint produced by the job, through the blob
 * store (hashing while writing). A failure leaves the checkpoint `failed` and the capture with why.
 */
export async function captureFiles(db: Db, job: CapturingJob, part: { root: string; path: string; label: string; files: CaptureFile[] }) {
  const step = stepFromName(part.label);
  // Totals up front, so the dashboard shows a progress bar while a large capture is stored.
  const sizes = await Promise.all(part.files.map((file) => lstat(file.absolute).then((info) => info.size, () => 0)));
  const bytesTotal = sizes.reduce((sum, n) => sum + n, 0);
  const row = await insertUniquelyNamed(db, job, part.label, {
    sourceUri: `job://${job.id}/${part.path === "." ? "" : part.path}`,
    step,
    bytesTotal,
    filesTotal: part.files.length,
  });
  const capture = await insertCapture(db, { jobId: job.id, path: part.path, name: row.name, checkpointId: row.id, step, status: "capturing" });
  await insertLog(db, { checkpointId: row.id, message: `Capturing ${part.files.length} files from job '${job.name}' (${part.path}).` });
  try {
    let size = 0;
    // Counters at most once a second; captures hold no lease, so the write always counts.
    const progress = new ProgressReporter(db, row.id, {
      write: async (counters) => {
        await updateCheckpoint(db, { orgId: job.orgId, id: row.id }, counters);
        return true;
      },
      lostError: () => new Error("A capture holds no lease to lose."),
    });
    // The same limits as an upload: the checkpoint cap and the organization's quota.
    const budget = await uploadBudget(db, row);
    // Each file streams in while the ones before it are flushed; a row only names a durable blob.
    await withTrailingWork(FLUSHING_FILES, async (flushing) => {
      for (const file of part.files) {
        const handle = await openRegular(file.absolute, part.root);
        const stream = createReadStream("", { fd: handle, highWaterMark: 1 << 20 });
        const { blob, durable } = await getBlobStore()
          .write(stream, { maxBytes: budget.maxBytes - size, onBytes: (n) => progress.addBytes(n) })
          .catch((error: unknown) => {
            throw error instanceof BlobTooLargeError ? budget.error() : error;
          });
        size += blob.size;
        await flushing.add(
          durable.then(async () => {
            await putFileRow(db, { checkpointId: row.id, path: file.path, ...blob });
            progress.fileDone();
          }),
        );
      }
    });
    await progress.settled();
    const now = new Date();
    await updateCheckpoint(db, { orgId: job.orgId, id: row.id }, {
      status: "ready",
      readyAt: now,
      bytesDone: size,
      bytesTotal: size,
      filesDone: part.files.length,
      filesTotal: part.files.length,
    });
    await insertLog(db, { checkpointId: row.id, message: `Captured ${part.files.length} files, ${formatBytes(size)}. The checkpoint is ready.` });
    await updateCapture(db, { id: capture.id }, { status: "ready" });
    return { ok: true as const, name: row.name, checkpointId: row.id };
  } catch (error) {
    const reason = `Capturing ${part.path} failed: ${error instanceof Error ? error.message : String(error)}`;
    await updateCheckpoint(db, { orgId: job.orgId, id: row.id }, { status: "failed", message: reason });
    await insertLog(db, { checkpointId: row.id, level: "error", message: reason });
    await updateCapture(db, { id: capture.id }, { status: "failed", message: reason });
    return { ok: false as const, name: row.name, reason };
  }
}
