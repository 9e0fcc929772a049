import { setTimeout as sleep } from "node:timers/promises";
import type { Command } from "commander";
import { ApiClient, seg } from "./client";
import { CliError } from "./config";
import { collect, parsePairs } from "./args";
import type { Job } from "./types";

type RunOptions = {
  checkpoint?: string[];
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

async function run(name: string, command: string[], options: RunOptions): Promise<void> {
  if (command.length === 0) throw new CliError("Give the command after --: cairn job run <name> --checkpoint <ref> -- python train.py");
  const client = await ApiClient.fromEnvironment();
  const job = await client.post<Job>("/jobs", {
    name,
    type: options.type,
    command,
    checkpoints: (options.checkpoint ?? []).map((ref) => ({ ref })),
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
  });
  console.log(options.json ? JSON.stringify(job, null, 2) : `Job '${job.name}' is ${job.status} (id ${job.id}). Follow it with \`cairn job logs ${job.name} --follow\`.`);
}

type LogLine = { id?: number; at?: string; stream?: string; message?: string };
type LogPage = { items?: LogLine[]; nextAfter?: number };

/**
 * Prints the lines after `after` (`?after=` is the last line id seen; the answer's `nextAfter`
 * says where to continue) and returns where the next call should start.
 */
async function printNewLines(client: ApiClient, ref: string, after: number | undefined): Promise<number | undefined> {
  let cursor = after;
  for (;;) {
    const page = await client.get<LogPage>(`/jobs/${seg(ref)}/logs`, { after: cursor });
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

async function stop(ref: string): Promise<void> {
  const client = await ApiClient.fromEnvironment();
  const job = await client.post<Job>(`/jobs/${seg(ref)}/stop`);
  console.log(`Job '${job.name ?? ref}' is ${job.status ?? "stopping"}.`);
}

export function registerJob(program: Command): void {
  const job = program.command("job").alias("jobs").description("Run jobs on checkpoints and read their logs");

  job
    .command("run <name> [command...]")
    .description("Start a job with checkpoints attached; the command follows --")
    .option("--checkpoint <ref>", "a checkpoint to attach, by name or id (repeatable)", collect)
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
      "\nExamples:\n  cairn job run finetune-1 --checkpoint mistral-500 --env LR=3e-5 -- python train.py --epochs 2\n  cairn job run llama-sft --gpus 4 --partition a100 --time-limit 600 --checkpoint llama-7b -- python sft.py",
    )
    .action(run);

  job
    .command("logs <ref>")
    .description("Print a job's logs")
    .option("-f, --follow", "keep printing until the job finishes; exit non-zero unless it succeeded")
    .action(logs);

  job.command("stop <ref>").description("Stop a queued or running job").action(stop);

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
