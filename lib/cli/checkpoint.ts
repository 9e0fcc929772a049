import { Command, Option } from "commander";
import { ApiClient, CairnApiError, seg } from "./client";
import { CliError } from "./config";
import { collect, parsePairs } from "./args";
import { registerDerive } from "./derive";
import { registerDiff } from "./diff";
import { describeFetch, fetchCheckpoint } from "./fetch";
import { followCheckpoint, followExport } from "./follow";
import { confirm } from "./prompt";
import { describePush, planUploads, pushLocal } from "./push";
import { remoteSource } from "./remote-source";
import { CHECKPOINT_COLUMNS, checkpointRows, renderTable } from "./table";
import type { CheckpointResponse, CreateCheckpointBody } from "@/lib/api/schemas/checkpoints";
import type { CreateExportBody, ExportStartedResponse } from "@/lib/api/schemas/exports";

type PushOptions = {
  file?: string[];
  storageProvider?: string;
  sourcePath?: string;
  sourceType?: string;
  sourceUri?: string;
  option?: string[];
  wait: boolean;
  parallel: string;
  json?: boolean;
};

const parallelOption = () => new Option("-p, --parallel <n>", "files transferred at once").default("4");

function parallelOf(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new CliError("--parallel must be a whole number from 1 to 64.");
  return n;
}

async function push(name: string, options: PushOptions): Promise<void> {
  const client = await ApiClient.fromEnvironment();
  const remote = Boolean(options.storageProvider || options.sourceType || options.sourceUri || options.sourcePath);
  if (options.file?.length && remote) throw new CliError("Use either --file or a remote source (--storage-provider/--source-path, --source-type/--source-uri), not both.");
  let checkpoint: CheckpointResponse;
  if (options.file?.length) {
    checkpoint = await pushLocal(client, name, await planUploads(options.file), parallelOf(options.parallel));
  } else if (remote) {
    const source = await remoteSource(client, options);
    checkpoint = await client.post<CheckpointResponse>("/checkpoints", { name, ...source, sourceOptions: parsePairs(options.option ?? [], "--option") } satisfies CreateCheckpointBody);
    if (options.wait) checkpoint = await followCheckpoint(client, checkpoint.metadata.id, name);
  } else {
    throw new CliError("Say what to push: --file <path> for local files, or --storage-provider <connection> --source-path <path>.");
  }
  console.log(options.json ? JSON.stringify(checkpoint, null, 2) : describePush(checkpoint));
}

type ListOptions = { json?: boolean; status?: string; query?: string; sourceType?: string; sort?: string; limit?: string; job?: string; visibility?: string };

function emptyList(options: ListOptions): string {
  if (options.job) return `Job '${options.job}' has no captured checkpoints yet: each sub-directory it writes under $FLEXAI_OUTPUT_CHECKPOINT_DIR becomes one.`;
  if (options.visibility === "public") return "The public catalog has no checkpoints yet.";
  return "No checkpoints. Push one with `cairn checkpoint push <name> --file <path>`.";
}

async function list(options: ListOptions): Promise<void> {
  const client = await ApiClient.fromEnvironment();
  const max = options.limit ? Number(options.limit) : Number.POSITIVE_INFINITY;
  if (!(max > 0)) throw new CliError("--limit must be a positive number.");
  const query = { q: options.query, status: options.status, sourceType: options.sourceType, sort: options.sort, job: options.job, visibility: options.visibility };
  const items = await client.all<CheckpointResponse>("/checkpoints", query, max).catch((error: unknown) => {
    if (options.job && error instanceof CairnApiError && error.code === "not_found") {
      throw new CliError(`${error.message} See \`cairn job list\` for this organization's jobs.`);
    }
    throw error;
  });
  if (options.json) console.log(JSON.stringify(items, null, 2));
  else if (items.length === 0) console.log(emptyList(options));
  else console.log(renderTable(CHECKPOINT_COLUMNS, checkpointRows(items)));
}

async function inspect(ref: string, options: { json?: boolean }): Promise<void> {
  const client = await ApiClient.fromEnvironment();
  const response = await client.send("GET", `/checkpoints/${seg(ref)}`, { query: options.json ? {} : { format: "yaml" } });
  const body = await response.text();
  process.stdout.write(options.json ? `${JSON.stringify(JSON.parse(body), null, 2)}\n` : body);
}

async function fetchCommand(ref: string, options: { destination: string; parallel: string }): Promise<void> {
  const client = await ApiClient.fromEnvironment();
  const summary = await fetchCheckpoint(client, ref, options.destination, parallelOf(options.parallel));
  console.log(describeFetch(ref, options.destination, summary));
}

type ExportOptions = { storageProvider: string; destinationPath: string; wait: boolean; json?: boolean };

async function exportCommand(ref: string, options: ExportOptions): Promise<void> {
  const client = await ApiClient.fromEnvironment();
  const started = await client.post<ExportStartedResponse>(`/checkpoints/${seg(ref)}/export`, {
    connection: options.storageProvider,
    destinationPath: options.destinationPath,
  } satisfies CreateExportBody);
  const result = options.wait ? await followExport(client, ref, started.id) : started;
  if (options.json) console.log(JSON.stringify(result, null, 2));
  else console.log(`Export ${result.id} of '${ref}' to ${options.storageProvider}:${options.destinationPath} is ${result.status}.`);
}

async function remove(ref: string, options: { yes?: boolean }): Promise<void> {
  const client = await ApiClient.fromEnvironment();
  if (!options.yes) {
    if (!process.stdin.isTTY) throw new CliError("Refusing to delete without confirmation: pass --yes when not at a terminal.");
    if (!(await confirm(`Delete checkpoint '${ref}'? This cannot be undone.`))) throw new CliError("Not deleted.");
  }
  await client.delete(`/checkpoints/${seg(ref)}`);
  console.log(`Deleted checkpoint '${ref}'.`);
}

export function registerCheckpoint(program: Command): void {
  const checkpoint = program.command("checkpoint").alias("checkpoints").description("Push, list, inspect, fetch, export and delete checkpoints");

  checkpoint
    .command("push <name>")
    .description("Create a checkpoint from local files or from a remote source")
    .option("-f, --file <source_path[=checkpoint_path]>", "a local file or directory (repeatable; directories push recursively)", collect)
    .option("--storage-provider <connection>", "a storage connection to read the source from")
    .option("--source-path <path>", "the path in that storage: bucket/prefix/, a repo id, …")
    .option("--source-type <type>", "source type: s3, wasabi, gcs, azure, huggingface, git, web, kaggle, datastore")
    .option("--source-uri <uri>", "the source's URI, e.g. https://example.com/model.tar.gz")
    .option("-o, --option <key=value>", "a source option: branch, revision, endpoint, kaggleType (repeatable)", collect)
    .option("--no-wait", "return once a remote checkpoint is created instead of following it to ready")
    .addOption(parallelOption())
    .option("--json", "print the checkpoint as JSON")
    .addHelpText(
      "after",
      "\nExamples:\n  cairn checkpoint push my-model --file ./out/\n  cairn checkpoint push my-model --file model.safetensors=weights/model.safetensors --file config.json\n  cairn checkpoint push from-s3 --storage-provider aws-conn --source-path my-bucket/ckpts/\n  cairn checkpoint push tiny --source-type huggingface --source-uri sshleifer/tiny-gpt2\n\nAn interrupted local push resumes when run again with the same arguments.",
    )
    .action(push);

  checkpoint
    .command("list")
    .alias("ls")
    .description("List checkpoints: NAME | FILES COUNT | TOTAL SIZE | STATUS | CREATED AT")
    .option("--status <status>", "only this status: new, uploading, downloading, extracting, ready, exporting, failed")
    .option("-q, --query <text>", "only names matching this text")
    .option("--source-type <type>", "only this source type")
    .option("--job <job>", "only the checkpoints captured from this job's output (name or id)")
    .option("--visibility <visibility>", "private, public (the public catalog of every organization) or all")
    .option("--sort <order>", "name, -name, size, -size, createdAt, -createdAt")
    .option("--limit <n>", "at most this many")
    .option("--json", "print the checkpoints as JSON")
    .action(list);

  checkpoint
    .command("inspect <ref>")
    .description("Show a checkpoint (name or id) as YAML, or JSON with --json")
    .option("--json", "print JSON instead of YAML")
    .action(inspect);

  checkpoint
    .command("fetch <ref>")
    .description("Download every file of a checkpoint, resuming and verifying each against its SHA-256")
    .option("-d, --destination <dir>", "where to write the files", ".")
    .addOption(parallelOption())
    .action(fetchCommand);

  checkpoint
    .command("export <ref>")
    .description("Copy a checkpoint's files to a storage connection")
    .requiredOption("--storage-provider <connection>", "the storage connection to write to")
    .requiredOption("--destination-path <path>", "bucket/prefix/ to write the files under")
    .option("--no-wait", "return once the export is queued")
    .option("--json", "print the export as JSON")
    .action(exportCommand);

  checkpoint
    .command("delete <ref>")
    .alias("rm")
    .description("Delete a checkpoint")
    .option("-y, --yes", "do not ask for confirmation (required when not at a terminal)")
    .action(remove);

  registerDiff(checkpoint);
  registerDerive(checkpoint);
}
