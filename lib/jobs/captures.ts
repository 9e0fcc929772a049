import "server-only";
import { ApiError, notFound } from "@/lib/api/errors";
import type { AgentCapture, AgentCommitCaptureBody, AgentOfferFileBody, AgentOfferFileReply, AgentOpenCaptureBody } from "@/lib/api/schemas/agent";
import { isUniqueViolation } from "@/lib/db/errors";
import { commitCheckpoint } from "@/lib/checkpoints/commit";
import { filePathProblem } from "@/lib/checkpoints/naming";
import { config } from "@/lib/config";
import type { Db } from "@/lib/db/client";
import { findCheckpoint, insertCheckpoint, insertLog, updateCheckpoint } from "@/lib/db/queries/checkpoints";
import { listFiles } from "@/lib/db/queries/files";
import { findCapture, insertCapture, orgHasBlob, updateCapture } from "@/lib/db/queries/jobs";
import type { Job, JobCapture } from "@/lib/db/schema";
import { formatBytes } from "@/lib/format";
import { discardSupersededUploads } from "@/lib/uploads/maintenance";
import { orgUsage } from "@/lib/usage/service";
import { afterCapture } from "@/lib/retention/schedule";
import { attachBlob } from "@/lib/uploads/store-file";
import { notifyCaptureReady, notifyCheckpoint } from "@/lib/webhooks/events";

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

/** Inserts the capture's checkpoint, `uploading`, under the first free name of `<base>`, `<base>-2`, … */
async function insertUniquelyNamed(db: Db, job: Job, part: string, values: { sourceUri: string; step: number | null; bytesTotal: number; filesTotal: number }) {
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
        status: "uploading",
        producedByJobId: job.id,
        step: values.step,
        bytesTotal: values.bytesTotal,
        filesTotal: values.filesTotal,
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
  }
  throw new ApiError("conflict", `No free checkpoint name is left for ${part}.`);
}

/** What the organization's quota leaves for a capture of `needed` bytes, or why it does not fit. */
async function quotaProblem(db: Db, job: Job, part: string, needed: number): Promise<string | null> {
  const { orgQuotaBytes } = config();
  const { usedBytes: used } = await orgUsage(db, { orgId: job.orgId });
  const left = Math.max(0, orgQuotaBytes - used);
  if (needed <= left) return null;
  return (
    `Capturing ${part} needs ${formatBytes(needed)} but only ${formatBytes(left)} are left under the organization's ` +
    `${formatBytes(orgQuotaBytes)} storage quota (${formatBytes(used)} used): ${formatBytes(needed - left)} are missing. ` +
    `The files are kept in the job's output directory. Delete checkpoints you no longer need or ask an administrator to raise ` +
    `CAIRN_ORG_QUOTA_BYTES, then press Retry capture.`
  );
}

async function present(db: Db, capture: JobCapture): Promise<AgentCapture> {
  const stored = capture.checkpointId ? await listFiles(db, { checkpointId: capture.checkpointId }) : [];
  return {
    id: capture.id,
    checkpointId: capture.checkpointId,
    name: capture.name,
    status: capture.status,
    message: capture.message,
    stored,
    updatedAt: capture.updatedAt.toISOString(),
  };
}

/** The capture of this job, or 404. */
async function captureOf(db: Db, job: Job, id: string): Promise<JobCapture> {
  const capture = await findCapture(db, { jobId: job.id, id });
  if (!capture) throw notFound(`Capture '${id}'`);
  return capture;
}

/** Marks a capture and its checkpoint failed with the reason; the files stay in the job's output directory. */
async function markFailed(db: Db, job: Job, capture: JobCapture, reason: string): Promise<JobCapture> {
  if (capture.checkpointId) {
    await updateCheckpoint(db, { orgId: job.orgId, id: capture.checkpointId }, { status: "failed", message: reason });
    await insertLog(db, { checkpointId: capture.checkpointId, level: "error", message: reason });
    await notifyCheckpoint("checkpoint.failed", { orgId: job.orgId, id: capture.checkpointId }, db);
  }
  return (await updateCapture(db, { id: capture.id }, { status: "failed", message: reason, attempts: capture.attempts + 1 })) ?? capture;
}

/**
 * Opens the capture the agent names by its key: a new one gets an `uploading` checkpoint
 * `<job>-<label>`; the same key again (a restarted agent, a retry) finds the same capture, and a
 * failed one is opened again. A capture the quota cannot hold fails at once, saying how much is missing.
 */
export async function openCapture(db: Db, job: Job, body: AgentOpenCaptureBody): Promise<AgentCapture> {
  for (const file of body.files) {
    const problem = filePathProblem(file.path);
    if (problem) throw new ApiError("validation_failed", `${file.path}: ${problem}`, { fields: { files: problem } });
  }
  const needed = body.files.reduce((sum, file) => sum + file.size, 0);
  const part = body.path === "." ? "the model in the output directory" : `'${body.path}'`;
  let capture = await findCapture(db, { jobId: job.id, key: body.key });
  if (!capture) {
    const step = stepFromName(body.label);
    const row = await insertUniquelyNamed(db, job, body.label, {
      sourceUri: `job://${job.id}/${body.path === "." ? "" : body.path}`,
      step,
      bytesTotal: needed,
      filesTotal: body.files.length,
    });
    try {
      capture = await insertCapture(db, { jobId: job.id, key: body.key, path: body.path, name: row.name, checkpointId: row.id, step, status: "pending" });
    } catch (error) {
      // The same key from two requests at once: the first one's capture wins, this checkpoint goes.
      if (!isUniqueViolation(error)) throw error;
      await updateCheckpoint(db, { orgId: job.orgId, id: row.id }, { deletedAt: new Date() });
      const winner = await findCapture(db, { jobId: job.id, key: body.key });
      if (!winner) throw error;
      return present(db, winner);
    }
    await insertLog(db, { checkpointId: row.id, message: `Capturing ${body.files.length} files from job '${job.name}' (${body.path}).` });
  } else if (capture.status === "failed" && capture.checkpointId) {
    await updateCheckpoint(db, { orgId: job.orgId, id: capture.checkpointId }, { status: "uploading", message: null });
    await insertLog(db, { checkpointId: capture.checkpointId, message: "Capturing again." });
    capture = (await updateCapture(db, { id: capture.id }, { status: "pending", message: null })) ?? capture;
  }
  if (capture.status === "pending" && capture.checkpointId) {
    const held = (await listFiles(db, { checkpointId: capture.checkpointId })).reduce((sum, file) => sum + file.size, 0);
    const problem = await quotaProblem(db, job, part, needed - held);
    if (problem) capture = await markFailed(db, job, capture, problem);
  }
  return present(db, capture);
}

/** The checkpoint of a capture that still takes files. */
async function openCheckpointOf(db: Db, job: Job, capture: JobCapture) {
  if (capture.status === "ready" || capture.status === "failed" || !capture.checkpointId) {
    throw new ApiError("conflict", `Capture '${capture.name}' is ${capture.status}; open it again to send files.`, { status: capture.status });
  }
  const checkpoint = await findCheckpoint(db, { orgId: job.orgId, id: capture.checkpointId });
  if (!checkpoint) throw notFound(`Checkpoint '${capture.name}'`);
  return checkpoint;
}

/**
 * A file the agent is about to send: when the organization already stores its bytes, the file is
 * recorded without them (`stored: true`); otherwise the agent uploads it through the upload path.
 */
export async function offerCaptureFile(db: Db, job: Job, captureId: string, body: AgentOfferFileBody): Promise<AgentOfferFileReply> {
  const capture = await captureOf(db, job, captureId);
  const checkpoint = await openCheckpointOf(db, job, capture);
  const problem = filePathProblem(body.path);
  if (problem) throw new ApiError("validation_failed", problem, { fields: { path: problem } });
  if (capture.status === "pending") await updateCapture(db, { id: capture.id }, { status: "uploading" });
  if (!(await orgHasBlob(db, { orgId: job.orgId, sha256: body.sha256, size: body.size }))) return { stored: false };
  await attachBlob(db, checkpoint, body.path, { sha256: body.sha256, size: body.size });
  return { stored: true };
}

/**
 * Seals a capture once the checkpoint holds exactly the files the agent hashed: same paths, same
 * SHA-256s. Anything else is a 409 that names the difference, and the agent sends the rest.
 */
export async function commitCapture(db: Db, job: Job, captureId: string, body: AgentCommitCaptureBody): Promise<AgentCapture> {
  const capture = await captureOf(db, job, captureId);
  if (capture.status === "ready") return present(db, capture);
  const checkpoint = await openCheckpointOf(db, job, capture);
  const stored = new Map((await listFiles(db, { checkpointId: checkpoint.id })).map((file) => [file.path, file]));
  const expected = new Set(body.files.map((file) => file.path));
  const missing = body.files.filter((file) => stored.get(file.path)?.sha256 !== file.sha256 || stored.get(file.path)?.size !== file.size).map((f) => f.path);
  const extra = [...stored.keys()].filter((filePath) => !expected.has(filePath));
  if (missing.length > 0 || extra.length > 0) {
    throw new ApiError("conflict", `The checkpoint does not hold the files the agent hashed (${missing.length} missing or different, ${extra.length} extra).`, {
      missing: missing.slice(0, 100),
      extra: extra.slice(0, 100),
    });
  }
  // An agent killed mid-upload may have left an upload its successor did not resume: the file is
  // stored now, so that upload is only in the way of the commit.
  await discardSupersededUploads(db, { checkpointId: checkpoint.id, stored: expected });
  await commitCheckpoint(db, { orgId: job.orgId, ref: checkpoint.id });
  const ready = (await updateCapture(db, { id: capture.id }, { status: "ready", message: null })) ?? capture;
  await afterCapture({ orgId: job.orgId });
  await notifyCaptureReady(job, ready, db);
  return present(db, ready);
}

/** The agent gave up on a capture for now: it is failed with the reason, its files kept on disk. */
export async function failCapture(db: Db, job: Job, captureId: string, message: string): Promise<AgentCapture> {
  const capture = await captureOf(db, job, captureId);
  if (capture.status === "ready") return present(db, capture);
  return present(db, await markFailed(db, job, capture, message));
}
