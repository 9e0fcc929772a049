import "server-only";
import type { JobAttachmentResponse, JobCaptureResponse, JobResponse } from "@/lib/api/schemas/jobs";
import type { Db } from "@/lib/db/client";
import { attachmentsOf, capturesOf } from "@/lib/db/queries/jobs";
import type { Job, JobCapture } from "@/lib/db/schema";

type Attachment = Awaited<ReturnType<typeof attachmentsOf>>[number];

/** The job object of the HTTP API. `mountPath` is what the job sees, whichever runner runs it. */
export function presentJob(row: Job, attachments: Attachment[], captures: JobCapture[]): JobResponse {
  const checkpoints: JobAttachmentResponse[] = attachments.map((a) => ({
    id: a.checkpointId,
    name: a.mountName,
    mountPath: `$FLEXAI_INPUT_CHECKPOINT_DIR/${a.mountName}`,
    public: a.public,
    ownerOrgID: a.ownerOrgId,
  }));
  const presented: JobCaptureResponse[] = captures.map((c) => ({
    id: c.id,
    path: c.path,
    name: c.name,
    checkpointId: c.checkpointId,
    step: c.step,
    status: c.status,
    message: c.message,
    attempts: c.attempts,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  }));
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    status: row.status,
    message: row.message,
    command: row.command,
    envKeys: row.envKeys,
    captureOutputs: row.captureOutputs,
    checkpoints,
    outputs: captures.filter((c) => c.status === "ready" && c.checkpointId).map((c) => c.checkpointId ?? ""),
    captures: presented,
    exitCode: row.exitCode,
    runner: row.runner,
    runnerJobId: row.runnerJobId,
    statusMessage: row.statusMessage,
    resources: row.resources,
    partition: row.partition,
    image: row.image,
    lastHeartbeatAt: row.heartbeatAt?.toISOString() ?? null,
    creatorUserID: row.creatorUserId,
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}

/** Presents several jobs with two queries in all, not two per job. */
export async function presentJobs(db: Db, rows: Job[]): Promise<JobResponse[]> {
  const jobIds = rows.map((r) => r.id);
  const [attachments, captures] = await Promise.all([attachmentsOf(db, { jobIds }), capturesOf(db, { jobIds })]);
  return rows.map((row) =>
    presentJob(
      row,
      attachments.filter((a) => a.jobId === row.id),
      captures.filter((c) => c.jobId === row.id),
    ),
  );
}

export async function presentOneJob(db: Db, row: Job): Promise<JobResponse> {
  const [job] = await presentJobs(db, [row]);
  if (!job) throw new Error(`job ${row.id} could not be presented`);
  return job;
}
