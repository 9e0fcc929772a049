import { z } from "zod";
import { captureStatuses, jobStatuses, logStreams } from "@/lib/jobs/kinds";

/**
 * The job agent's own endpoints (`/api/v1/agent/jobs/{id}/…`), opened only by that job's token.
 * Internal: the agent (`cairn job agent`) is their one client, and it takes its types from here.
 */

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "sha256 is 64 lower-case hex digits.");
const size = z.number().int().min(0);

export const agentInputFile = z.object({ path: z.string(), size, sha256 });
export type AgentInputFile = z.infer<typeof agentInputFile>;

export const agentSpec = z.object({
  job: z.object({
    id: z.string(),
    name: z.string(),
    status: z.enum(jobStatuses),
    captureOutputs: z.boolean(),
    stopRequested: z.boolean(),
  }),
  command: z.array(z.string()),
  /** The user's variables, decrypted for the job; the agent adds the FLEXAI_* / TRAINML_* ones. */
  env: z.record(z.string(), z.string()),
  /** In attachment order: the first is `TRAINML_CHECKPOINT_PATH`. */
  inputs: z.array(z.object({ name: z.string(), checkpointId: z.string(), files: z.array(agentInputFile) })),
  settings: z.object({
    captureQuietSeconds: z.number(),
    stopGraceSeconds: z.number(),
    heartbeatSeconds: z.number(),
    /** After the command ends with captures failed, how long the agent waits for *Retry capture*. */
    lingerSeconds: z.number(),
  }),
  /** The server's filesystem store, when it has one: an agent that sees this directory links instead of copying. */
  blobStore: z.object({ kind: z.enum(["fs", "s3"]), root: z.string().nullable() }),
});
export type AgentSpec = z.infer<typeof agentSpec>;

export const agentStartedBody = z.object({
  pid: z.number().int().nullable(),
  host: z.string().max(255),
  /** The command already ran under an earlier agent of this job (a restarted agent adopts it). */
  resumed: z.boolean().default(false),
});

export const agentHeartbeatReply = z.object({
  status: z.enum(jobStatuses),
  stop: z.boolean(),
  /** When *Retry capture* was last pressed: captures that failed before it are retried. */
  captureRetryAt: z.string().nullable(),
});
export type AgentHeartbeatReply = z.infer<typeof agentHeartbeatReply>;

export const agentLogsBody = z.object({
  /** The number of the first line; the agent numbers every line it sends, from 0. */
  seq: z.number().int().min(0),
  lines: z
    .array(z.object({ stream: z.enum(logStreams), message: z.string().max(20_000), at: z.string() }))
    .max(2000),
});
export type AgentLogsBody = z.infer<typeof agentLogsBody>;

/** The number the next line the agent sends should carry: lines below it are stored. */
export const agentLogsReply = z.object({ next: z.number() });
export type AgentLogsReply = z.infer<typeof agentLogsReply>;

export const agentFinishedBody = z.object({
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  /** The command could not run at all (not found, not executable) or its exit is unknown. */
  error: z.string().nullable(),
});
export type AgentFinishedBody = z.infer<typeof agentFinishedBody>;

export const agentOpenCaptureBody = z.object({
  /** The agent's key for what it is capturing: the same key finds the same capture (no duplicates after a restart). */
  key: z.string().min(1).max(512),
  /** The sub-directory or root file of the output directory; `.` for a root model. */
  path: z.string().min(1).max(1024),
  /** What the checkpoint is named after: `<job>-<label>`. */
  label: z.string().min(1).max(1024),
  files: z.array(z.object({ path: z.string(), size })).min(1).max(100_000),
});
export type AgentOpenCaptureBody = z.infer<typeof agentOpenCaptureBody>;

export const agentCapture = z.object({
  id: z.string(),
  checkpointId: z.string().nullable(),
  name: z.string(),
  status: z.enum(captureStatuses),
  message: z.string().nullable(),
  /** Files the checkpoint holds already (after a restart or a retry they are not sent again). */
  stored: z.array(agentInputFile),
  /** When this capture last failed or was asked to run again. */
  updatedAt: z.string(),
});
export type AgentCapture = z.infer<typeof agentCapture>;

export const agentOfferFileBody = z.object({ path: z.string().min(1).max(4096), size, sha256 });
export type AgentOfferFileBody = z.infer<typeof agentOfferFileBody>;
/** `stored`: the organization had the bytes and the file is recorded; else the agent uploads it. */
export const agentOfferFileReply = z.object({ stored: z.boolean() });
export type AgentOfferFileReply = z.infer<typeof agentOfferFileReply>;

export const agentCommitCaptureBody = z.object({ files: z.array(agentInputFile).min(1).max(100_000) });
export type AgentCommitCaptureBody = z.infer<typeof agentCommitCaptureBody>;

export const agentFailCaptureBody = z.object({ message: z.string().min(1).max(4000) });
