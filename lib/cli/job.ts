import { setTimeout as sleep } from "node:timers/promises";
import type { Command } from "commander";
import { stringify } from "yaml";
import { ApiClient, CairnApiError, seg } from "./client";
import { CliError } from "./config";
import { collect, parsePairs } from "./args";
import { JOB_COLUMNS, jobRows, renderTable } from "./table";
import type { CreateJobBody, JobLogs, JobResponse as Job } from "@/lib/api/schemas/jobs";

type RunOptions = {
  checkpoint?: string[];
  publicCheckpoint?: string[];
  type: string;
  env?: string[];
  captureOutputs: boolean;
  json?: boolean;
  gpus?: number;
  cpus?: number;
  memory?: number;
  timeLimit?: number;
  partition?: string;
  image?: string;
};

/** A positive whole number from an option, or the error that says so. */
function wholeNumber(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new CliError(`${flag} takes a whole number of at least 1, got '${value}'.`);
    return n;
  };
}

function positiveNumber(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new CliError(`${flag} takes a number above 0, got '${value}'.`);
    return n;
  };
}

const FINISHED = new Set(["succeeded", "failed", "stopped"]);

type Attachment = { ref: string; public?: true };

/** The API names a refused attachment `checkpoints.<n>.ref`; say which flag it came from instead. */
function attachmentError(error: unknown, attachments: Attachment[]): unknown {
  if (!(error instanceof CairnApiError) || error.code !== "validation_failed") return error;
  const fields = (error.details?.fields ?? {}) as Record<string, string>;
  const problems = Object.entries(fields).flatMap(([field, message]) => {
    const attachment = attachments[Number(/^checkpoints\.(\d+)\.ref$/.exec(field)?.[1] ?? Number.NaN)];
    if (!attachment) return [];
    const flag = attachment.public ? "--public-checkpoint" : "--checkpoint";
    const list = attachment.public ? "cairn checkpoint list --visibility public" : "cairn checkpoint list";
    return [`${flag} ${attachment.ref}: ${message.replace(/ Pick a checkpoint from the list\.$/, ` See \`${list}\`.`)}`];
  });
  return problems.length === 0 ? error : new CliError(problems.join("\n"));
}

async function run(name: string, command: string[], options: RunOptions): Promise<void> {
  if (command.length === 0) throw new CliError("Give the command after --: cairn job run <name> --checkpoint <ref> -- python train.py");
  const client = await ApiClient.fromEnvironment();
  // Own checkpoints first: the first attached one is TRAINML_CHECKPOINT_PATH.
  const attachments: Attachment[] = [
    ...(options.checkpoint ?? []).map((ref) => ({ ref })),
    ...(options.publicCheckpoint ?? []).map((ref) => ({ ref, public: true as const })),
  ];
  const job = await client.post<Job>("/jobs", {
    name,
    // The server names a type it does not know; the flag goes as typed.
    type: options.type as CreateJobBody["type"],
    command,
    checkpoints: attachments,
    captureOutputs: options.captureOutputs,
    env: parsePairs(options.env ?? [], "--env"),
    resources: {
      ...(options.gpus === undefined ? {} : { gpus: options.gpus }),
      ...(options.cpus === undefined ? {} : { cpus: options.cpus }),
      ...(options.memory === undefined ? {} : { memoryGb: options.memory }),
      ...(options.timeLimit === undefined ? {} : { timeLimitMinutes: options.timeLimit }),
    },
    ...(options.partition ? { partition: options.partition } : {}),
    ...(options.image ? { image: options.image } : {}),
  } satisfies CreateJobBody).catch((error: unknown) => {
    throw attachmentError(error, attachments);
  });
  console.log(options.json ? JSON.stringify(job, null, 2) : `Job '${job.name}' is ${job.status} (id ${job.id}). Follow it with \`cairn job logs ${job.name} --follow\`.`);
}

/**
 * Prints the lines after `after` (`?after=` is the last line id seen; the answer's `nextAfter`
 * says where to continue) and returns where the next call should start.
 */
async function printNewLines(client: ApiClient, ref: string, after: number | undefined): Promise<number | undefined> {
  let cursor = after;
  for (;;) {
    const page = await client.get<JobLogs>(`/jobs/${seg(ref)}/logs`, { after: cursor });
    const items = page.items ?? [];
    for (const item of items) process.stdout.write(`${item.message ?? ""}\n`);
    const next = page.nextAfter ?? items.at(-1)?.id ?? cursor;
    if (items.length === 0 || next === cursor || next === undefined) return next;
    cursor = next;
  }
}

async function logs(ref: string, options: { follow?: boolean }): Promise<void> {
  const client = await ApiClient.fromEnvironment();
  let after = await printNewLines(client, ref, undefined);
  if (!options.follow) return;
  for (;;) {
    const job = await client.get<Job>(`/jobs/${seg(ref)}`);
    after = await printNewLines(client, ref, after);
    if (FINISHED.has(job.status)) {
      process.stderr.write(`Job '${job.name}' ${job.status}${job.exitCode === null ? "" : ` with exit code ${job.exitCode}`}.\n`);
      if (job.status !== "succeeded") process.exitCode = 1;
      return;
    }
    await sleep(1000);
  }
}

/** A job that is not there: the server's words, and where to look instead. */
function jobNotFound(error: unknown): unknown {
  if (error instanceof CairnApiError && error.code === "not_found") return new CliError(`${error.message} See \`cairn job list\` for this organization's jobs.`);
  return error;
}

const getJob = (client: ApiClient, ref: string) => client.get<Job>(`/jobs/${seg(ref)}`).catch((error: unknown) => Promise.reject(jobNotFound(error)));

type ListOptions = { status?: string; type?: string; query?: string; limit?: string; json?: boolean };

async function list(options: ListOptions): Promise<void> {
  const client = await ApiClient.fromEnvironment();
  const max = options.limit ? Number(options.limit) : Number.POSITIVE_INFINITY;
  if (!(max > 0)) throw new CliError("--limit must be a positive number.");
  const items = await client.all<Job>("/jobs", { status: options.status, type: options.type, q: options.query }, max);
  if (options.json) console.log(JSON.stringify(items, null, 2));
  else if (items.length === 0 && (options.status || options.type || options.query)) console.log("No jobs match these filters.");
  else if (items.length === 0) console.log("No jobs. Start one with `cairn job run <name> --checkpoint <ref> -- <command>`.");
  else console.log(renderTable(JOB_COLUMNS, jobRows(items)));
}

async function inspect(ref: string, options: { json?: boolean }): Promise<void> {
  const job = await getJob(await ApiClient.fromEnvironment(), ref);
  process.stdout.write(options.json ? `${JSON.stringify(job, null, 2)}\n` : stringify(job, { lineWidth: 0 }));
}

async function stop(ref: string, options: { json?: boolean }): Promise<void> {
  const client = await ApiClient.fromEnvironment();
  const job = await client.post<Job>(`/jobs/${seg(ref)}/stop`).catch((error: unknown) => Promise.reject(jobNotFound(error)));
  if (options.json) console.log(JSON.stringify(job, null, 2));
  else if (job.status === "running") console.log(`Job '${job.name}' is stopping: its command gets SIGTERM, then SIGKILL after the grace period. Follow it with \`cairn job logs ${job.name} --follow\`.`);
  else console.log(`Job '${job.name}' is ${job.status}.`);
}

export function registerJob(program: Command): void {
  const job = program.command("job").alias("jobs").description("Run jobs on checkpoints and read their logs");

  job
    .command("run <name> [command...]")
    .description("Start a job with checkpoints attached; the command follows --")
    .option("--checkpoint <ref>", "a checkpoint of this organization to attach, by name or id (repeatable)", collect)
    .option("--public-checkpoint <name>", "a checkpoint from the public catalog to attach, by name or id (repeatable)", collect)
    .option("--type <type>", "training, fine-tuning or inference", "training")
    .option("-e, --env <KEY=VALUE>", "an environment variable for the job (repeatable)", collect)
    .option("--no-capture-outputs", "do not turn FLEXAI_OUTPUT_CHECKPOINT_DIR into checkpoints")
    .option("--gpus <n>", "GPUs for the job (Slurm --gres=gpu:N, Kubernetes nvidia.com/gpu)", wholeNumber("--gpus"))
    .option("--cpus <n>", "CPUs for the job", wholeNumber("--cpus"))
    .option("--memory <GiB>", "memory for the job, in GiB", positiveNumber("--memory"))
    .option("--time-limit <minutes>", "the job's time limit, in minutes", wholeNumber("--time-limit"))
    .option("--partition <name>", "the Slurm partition")
    .option("--image <image>", "the container image (Kubernetes)")
    .option("--json", "print the job as JSON")
    .addHelpText(
      "after",
      "\nExamples:\n  cairn job run finetune-1 --checkpoint mistral-500 --env LR=3e-5 -- python train.py --epochs 2\n  cairn job run eval-1 --type inference --public-checkpoint llama-3-8b -- python eval.py\n  cairn job run llama-sft --gpus 4 --partition a100 --time-limit 600 --checkpoint llama-7b -- python sft.py\n\nEach checkpoint is mounted at $FLEXAI_INPUT_CHECKPOINT_DIR/<name>; the first --checkpoint (or, without one,\nthe first --public-checkpoint) is also TRAINML_CHECKPOINT_PATH.",
    )
    .action(run);

  job
    .command("logs <ref>")
    .description("Print a job's logs")
    .option("-f, --follow", "keep printing until the job finishes; exit non-zero unless it succeeded")
    .action(logs);

  job
    .command("list")
    .alias("ls")
    .description("List jobs, newest first: NAME | TYPE | STATUS | CHECKPOINTS | OUTPUTS | CREATED AT")
    .option("--status <status>", "only this status: queued, running, succeeded, failed, stopped")
    .option("--type <type>", "only this type: training, fine-tuning, inference")
    .option("-q, --query <text>", "only names matching this text")
    .option("--limit <n>", "at most this many")
    .option("--json", "print the jobs as JSON")
    .action(list);

  job
    .command("inspect <ref>")
    .description("Show a job (name or id) as YAML, or JSON with --json: command, checkpoints, outputs, captures, runner")
    .option("--json", "print JSON instead of YAML")
    .action(inspect);

  job
    .command("stop <ref>")
    .description("Stop a queued or running job")
    .option("--json", "print the job as JSON")
    .action(stop);

  job
    .command("agent")
    .description("Run a job where its runner started it (started by Cairn's runners, configured by CAIRN_* variables; not for users)")
    .action(async () => {
      // Loaded only here: the agent is the one command that runs jobs.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { runAgent } = require("../agent/agent") as typeof import("../agent/agent");
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { agentConfig } = require("../agent/config") as typeof import("../agent/config");
      process.exitCode = await runAgent(agentConfig());
    });
}
