import "server-only";
import { ApiError, notFound } from "@/lib/api/errors";
import type { AgentFinishedBody, AgentHeartbeatReply, AgentLogsBody, AgentLogsReply, AgentSpec } from "@/lib/api/schemas/agent";
import type { Caller } from "@/lib/auth/caller";
import { config } from "@/lib/config";
import { decryptSecret } from "@/lib/connections/crypto";
import type { Db } from "@/lib/db/client";
import {
  attachmentsOf,
  capturesOf,
  filesOfCheckpoints,
  findJobById,
  insertAgentLogs,
  insertJobLogs,
  releaseAttachments,
  updateJob,
} from "@/lib/db/queries/jobs";
import type { Job } from "@/lib/db/schema";
import { getBlobStore } from "@/lib/storage";
import { envContext } from "./agent-token";
import { activeJobStatuses, MAX_JOB_LOG_LINES } from "./kinds";
import { jobRunner } from "./runners";
import { localQueue } from "./scheduler";
import { notifyJobFinished } from "@/lib/webhooks/events";

/** The job an agent route acts on: the token's own job, else 404 (another job's id never answers). */
export async function agentJob(db: Db, caller: Caller, jobId: string): Promise<Job> {
  const job = caller.job?.id === jobId ? await findJobById(db, { id: jobId }) : null;
  if (!job) throw notFound(`Job '${jobId}'`);
  return job;
}

/** What the agent needs to run the job: the command, the user's variables, the inputs' manifests. */
export async function agentSpec(db: Db, job: Job): Promise<AgentSpec> {
  const attachments = await attachmentsOf(db, { jobIds: [job.id] });
  const files = await filesOfCheckpoints(db, { checkpointIds: attachments.map((a) => a.checkpointId) });
  const store = getBlobStore();
  const cfg = config();
  return {
    job: { id: job.id, name: job.name, status: job.status, captureOutputs: job.captureOutputs, stopRequested: job.stopRequestedAt !== null },
    command: job.command,
    env: decryptSecret(job.envCiphertext, envContext(job.orgId, job.id)),
    inputs: attachments.map((a) => ({
      name: a.mountName,
      checkpointId: a.checkpointId,
      files: files.filter((f) => f.checkpointId === a.checkpointId).map(({ path, size, sha256 }) => ({ path, size, sha256 })),
    })),
    settings: {
      captureQuietSeconds: cfg.captureQuietSeconds,
      stopGraceSeconds: cfg.jobStopGraceSeconds,
      heartbeatSeconds: cfg.agentHeartbeatSeconds,
      // On Slurm a lingering agent would hold its allocation (GPUs too): it leaves the files on the
      // shared work directory instead, and *Retry capture* starts a new agent there.
      lingerSeconds: job.runner === "slurm" ? 0 : cfg.captureLingerSeconds,
    },
    blobStore: { kind: store.kind, root: store.localRoot ?? null },
  };
}

/** The agent runs the command (or adopted the one a previous agent started): the job is running. */
export async function agentStarted(db: Db, job: Job, body: { pid: number | null; host: string; resumed: boolean }): Promise<void> {
  const now = new Date();
  const where = body.pid === null ? body.host : `${body.host}, pid ${body.pid}`;
  if (!(activeJobStatuses as readonly string[]).includes(job.status)) {
    if (!body.resumed) throw new ApiError("conflict", `Job '${job.name}' is ${job.status}; the agent must not run it.`, { status: job.status });
    await insertJobLogs(db, [{ jobId: job.id, stream: "system", message: `An agent on ${where} took the job's files over to finish its captures.`, at: now }]);
    return;
  }
  await updateJob(db, { id: job.id, onlyIf: [...activeJobStatuses] }, {
    status: "running",
    startedAt: job.startedAt ?? now,
    heartbeatAt: now,
    statusMessage: null,
    message: job.stopRequestedAt ? job.message : null,
  });
  await insertJobLogs(db, [{ jobId: job.id, stream: "system", message: body.resumed ? `An agent on ${where} took the job over.` : `Running on ${where}.`, at: now }]);
}

/** A sign of life; the answer carries what the agent must act on (*Stop*, *Retry capture*). */
export async function agentHeartbeat(db: Db, job: Job): Promise<AgentHeartbeatReply> {
  const row = (await updateJob(db, { id: job.id }, { heartbeatAt: new Date() })) ?? job;
  return { status: row.status, stop: row.stopRequestedAt !== null, captureRetryAt: row.captureRetryAt?.toISOString() ?? null };
}

/**
 * Stores a batch of the agent's numbered lines; a batch sent again (its answer was lost) is
 * stored once. Past `MAX_JOB_LOG_LINES` lines output is dropped, with one line saying so.
 */
export async function agentLogs(db: Db, job: Job, body: AgentLogsBody): Promise<AgentLogsReply> {
  const rows = body.lines
    .map((line, index) => ({ jobId: job.id, seq: body.seq + index, stream: line.stream, message: line.message.replace(/\0/g, ""), at: new Date(line.at) }))
    .filter((row) => row.seq < MAX_JOB_LOG_LINES);
  const end = body.seq + body.lines.length;
  if (end > MAX_JOB_LOG_LINES && body.seq <= MAX_JOB_LOG_LINES) {
    rows.push({ jobId: job.id, seq: MAX_JOB_LOG_LINES, stream: "system", message: `The job printed more than ${MAX_JOB_LOG_LINES} lines; further output is not stored.`, at: new Date() });
  }
  await insertAgentLogs(db, rows);
  return { next: end };
}

function describeExit(exit: AgentFinishedBody, stopped: boolean): { status: Job["status"]; message: string } {
  if (exit.error) return { status: stopped ? "stopped" : "failed", message: exit.error };
  const how = exit.signal ? `was ended by ${exit.signal}` : `exited with code ${exit.exitCode}`;
  if (stopped) return { status: "stopped", message: `Stopped on request; the command ${how}.` };
  if (exit.exitCode === 0) return { status: "succeeded", message: "The command exited with code 0." };
  return { status: "failed", message: `The command ${how}.` };
}

/**
 * The command ended and the agent made its final capture pass: the job gets its outcome and lets
 * go of its checkpoints. The token expires now, unless captures failed: then it lives on for the
 * linger period, in which *Retry capture* reaches the agent still holding the files.
 */
export async function agentFinished(db: Db, job: Job, body: AgentFinishedBody): Promise<void> {
  const captures = await capturesOf(db, { jobIds: [job.id] });
  const outstanding = captures.some((c) => c.status !== "ready");
  const expiresAt = outstanding ? new Date(Date.now() + config().captureLingerSeconds * 1000) : new Date();
  if (!(activeJobStatuses as readonly string[]).includes(job.status)) {
    await updateJob(db, { id: job.id }, { agentTokenExpiresAt: expiresAt });
    return;
  }
  const outcome = describeExit(body, job.stopRequestedAt !== null);
  const now = new Date();
  const row = await updateJob(db, { id: job.id, onlyIf: [...activeJobStatuses] }, {
    status: outcome.status,
    message: outcome.message,
    exitCode: body.exitCode,
    finishedAt: now,
    statusMessage: null,
    agentTokenExpiresAt: expiresAt,
  });
  if (!row) return;
  await insertJobLogs(db, [{ jobId: job.id, stream: "system", message: outcome.message, at: now }]);
  await releaseAttachments(db, { jobId: job.id });
  await notifyJobFinished(row, db);
  await jobRunner().release?.(row);
  // A runner slot is free: the next queued job need not wait for a poll.
  void localQueue()?.kick();
}
