import { z } from "zod";
import { nameProblem } from "@/lib/checkpoints/naming";
import { captureStatuses, jobStatuses, jobTypes, logStreams, reservedEnvKeys, resourceFields, runnerKinds } from "@/lib/jobs/kinds";
import { limitParam, pageOf } from "./common";

export { activeJobStatuses, captureStatuses, jobStatuses, jobTypes, logStreams, resourceFields, runnerKinds } from "@/lib/jobs/kinds";
export type { CaptureStatus, JobResources, JobStatus, JobType, LogStream, ResourceField, RunnerKind } from "@/lib/jobs/kinds";

export const jobName = z.string().superRefine((value, ctx) => {
  const problem = nameProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

const SHELL_SYNTAX = /[\s|&;<>()$`\\"'*?[\]#~]/;
export const COMMAND_RULE =
  'command is an argv array such as ["python", "train.py", "--epochs", "3"]. To use a shell, say so: ["sh", "-c", "…"].';

/** argv, never a shell line: a lone element with spaces or shell syntax is refused with the way to say it. */
export const jobCommand = z
  .array(z.string().min(1, "Arguments cannot be empty.").max(8192), { error: COMMAND_RULE })
  .min(1, `Enter a command. ${COMMAND_RULE}`)
  .max(256, "A command has at most 256 arguments.")
  .superRefine((argv, ctx) => {
    if (argv.length === 1 && SHELL_SYNTAX.test(argv[0] ?? "")) {
      ctx.addIssue({ code: "custom", message: `'${argv[0]}' looks like a shell line. ${COMMAND_RULE}` });
    }
  });

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const jobEnv = z
  .record(z.string(), z.string().max(32_768, "An environment value has at most 32768 characters."))
  .superRefine((env, ctx) => {
    const keys = Object.keys(env);
    if (keys.length > 100) ctx.addIssue({ code: "custom", message: "At most 100 environment variables." });
    for (const key of keys) {
      if (!ENV_KEY.test(key) || key.length > 255) {
        ctx.addIssue({ code: "custom", path: [key], message: `'${key}' is not a variable name: letters, digits and '_', not starting with a digit.` });
      } else if ((reservedEnvKeys as readonly string[]).includes(key)) {
        ctx.addIssue({ code: "custom", path: [key], message: `${key} is set by Cairn for every job; pick another name.` });
      }
    }
  });

export const jobCheckpointRef = z.object({
  ref: z.string().min(1, "Pick a checkpoint.").max(200),
  /** Resolve `ref` in the public catalog (any organization) instead of the caller's own. */
  public: z.boolean().optional(),
  /** Accept the license of a public checkpoint of another organization (recorded once per user). */
  acceptLicense: z.boolean().optional(),
});

const count = (what: string, max: number) =>
  z.number({ error: `${what} is a whole number.` }).int(`${what} is a whole number.`).min(1, `${what} is at least 1.`).max(max, `${what} is at most ${max}.`);

export const jobResources = z
  .object({
    gpus: count("gpus", 1024).optional(),
    cpus: count("cpus", 4096).optional(),
    memoryGb: z.number({ error: "memoryGb is a number of GiB." }).positive("memoryGb is more than 0.").max(65_536, "memoryGb is at most 65536.").optional(),
    timeLimitMinutes: count("timeLimitMinutes", 525_600).optional(),
  })
  .strict();

export const createJobBody = z.object({
  name: jobName,
  type: z.enum(jobTypes, { message: `type must be one of ${jobTypes.join(", ")}` }),
  command: jobCommand,
  checkpoints: z.array(jobCheckpointRef).max(32, "Attach at most 32 checkpoints.").default([]),
  captureOutputs: z.boolean().default(true),
  env: jobEnv.default({}),
  /** What the job asks of its runner; a field the configured runner cannot honour is a 422 naming it. */
  resources: jobResources.default({}),
  /** The Slurm partition. */
  partition: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "partition is a Slurm partition name: letters, digits, '.', '_' and '-'.").optional(),
  /** The container image (Kubernetes). */
  image: z.string().min(1).max(512).regex(/^[^\s]+$/, "image is an image reference such as pytorch/pytorch:2.4.0-cuda12.1-cudnn9-runtime.").optional(),
});
export type CreateJobBody = z.input<typeof createJobBody>;
export type CreateJobInput = z.infer<typeof createJobBody>;

export const listJobsQuery = z.object({
  q: z.string().max(200).optional(),
  status: z.enum(jobStatuses).optional(),
  type: z.enum(jobTypes).optional(),
  /** Jobs that attach this checkpoint (id). */
  checkpoint: z.uuid().optional(),
  limit: limitParam,
  cursor: z.string().max(500).optional(),
});
export type ListJobsQuery = z.infer<typeof listJobsQuery>;

export const jobLogsQuery = z.object({
  /** Only lines after this log id: poll with the last id you saw. */
  after: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
});
export type JobLogsQuery = z.infer<typeof jobLogsQuery>;

export const jobAttachment = z.object({
  id: z.string(),
  name: z.string(),
  /** Where the job sees it: `$FLEXAI_INPUT_CHECKPOINT_DIR/<name>`. */
  mountPath: z.string(),
  /** Attached from the public catalog (another organization's, or our own public one). */
  public: z.boolean(),
  ownerOrgID: z.string(),
});

export const jobCapture = z.object({
  id: z.string(),
  /** The sub-directory or root file of the output directory; `.` for a root model. */
  path: z.string(),
  name: z.string(),
  checkpointId: z.string().nullable(),
  step: z.number().nullable(),
  status: z.enum(captureStatuses),
  message: z.string().nullable(),
  /** Tries so far, and when the capture last changed (a retry that fails again moves it). */
  attempts: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const jobResponse = z.object({
  id: z.string(),
  name: z.string(),
  type: z.enum(jobTypes),
  status: z.enum(jobStatuses),
  /** Why the job is in its status: the stop, the failure reason, a queue position. */
  message: z.string().nullable(),
  command: z.array(z.string()),
  /** Names only: values may be secrets and are never returned. */
  envKeys: z.array(z.string()),
  captureOutputs: z.boolean(),
  checkpoints: z.array(jobAttachment),
  /** Ids of the checkpoints captured from the job's output, in capture order. */
  outputs: z.array(z.string()),
  captures: z.array(jobCapture),
  exitCode: z.number().nullable(),
  runner: z.enum(runnerKinds),
  /** The Slurm job id, the Kubernetes Job name, or the local agent's pid. */
  runnerJobId: z.string().nullable(),
  /** The engine's own words: Slurm's pending reason, `OOMKilled`, "agent lost". */
  statusMessage: z.string().nullable(),
  resources: jobResources,
  partition: z.string().nullable(),
  image: z.string().nullable(),
  lastHeartbeatAt: z.string().nullable(),
  creatorUserID: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type JobResponse = z.infer<typeof jobResponse>;
export type JobAttachmentResponse = z.infer<typeof jobAttachment>;
export type JobCaptureResponse = z.infer<typeof jobCapture>;

export const jobListResponse = pageOf(jobResponse);
export type JobList = z.infer<typeof jobListResponse>;

export const jobLogLine = z.object({
  id: z.number(),
  at: z.string(),
  stream: z.enum(logStreams),
  message: z.string(),
});
export type JobLogLine = z.infer<typeof jobLogLine>;
export const jobLogsResponse = z.object({
  items: z.array(jobLogLine),
  /** Pass as `?after=` to get only newer lines (the last id, or the `after` you sent). */
  nextAfter: z.number().describe("Pass as ?after= to get only newer lines."),
});
export type JobLogs = z.infer<typeof jobLogsResponse>;

/** What the configured runner is and which job fields it honours (the launch form shows those). */
export const runnerInfo = z.object({
  runner: z.enum(runnerKinds),
  accepts: z.array(z.enum(resourceFields)),
  defaultImage: z.string().nullable(),
  defaultPartition: z.string().nullable(),
});
export type RunnerInfo = z.infer<typeof runnerInfo>;
