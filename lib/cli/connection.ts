import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { ApiClient, seg } from "./client";
import { CliError } from "./config";
import { collect, parsePairs } from "./args";
import { confirm } from "./prompt";
import { formatAge, renderTable } from "./table";
import type { ConnectionResponse as Connection, CreateConnectionBody } from "@/lib/api/schemas/connections";

type CreateOptions = { provider: string; config?: string[]; secret?: string[]; json?: boolean };

/** Config values: `true`/`false` become booleans (forcePathStyle), the rest stay strings. */
export function configValues(pairs: string[]): Record<string, string | boolean> {
  const values: Record<string, string | boolean> = {};
  for (const [key, value] of Object.entries(parsePairs(pairs, "--config"))) {
    values[key] = value === "true" ? true : value === "false" ? false : value;
  }
  return values;
}

/** Secret values; `key=@path` reads the value from a file (a service account key, an SSH key). */
async function secretValues(pairs: string[]): Promise<Record<string, string>> {
  const values = parsePairs(pairs, "--secret");
  for (const [key, value] of Object.entries(values)) {
    if (!value.startsWith("@")) continue;
    values[key] = await readFile(value.slice(1), "utf8").catch(() => {
      throw new CliError(`--secret ${key}=@${value.slice(1)}: cannot read that file.`);
    });
  }
  return values;
}

async function create(name: string, options: CreateOptions): Promise<void> {
  const client = await ApiClient.fromEnvironment();
  const created = await client.post<Connection>("/connections", {
    name,
    // The server names a provider it does not know; the flag goes as typed.
    provider: options.provider as CreateConnectionBody["provider"],
    config: configValues(options.config ?? []),
    secret: await secretValues(options.secret ?? []),
  } satisfies CreateConnectionBody);
  console.log(options.json ? JSON.stringify(created, null, 2) : `Created ${created.provider} connection '${created.name}' (id ${created.id}).`);
}

async function list(options: { json?: boolean; provider?: string }): Promise<void> {
  const client = await ApiClient.fromEnvironment();
  const items = await client.all<Connection>("/connections", { provider: options.provider });
  if (options.json) console.log(JSON.stringify(items, null, 2));
  else if (items.length === 0) console.log("No connections. Add one with `cairn connection create <name> --provider s3 --secret accessKeyId=… --secret secretAccessKey=…`.");
  else console.log(renderTable(["NAME", "PROVIDER", "CREATED AT"], items.map((c) => [c.name, c.provider, c.createdAt ? formatAge(c.createdAt) : ""])));
}

async function remove(ref: string, options: { yes?: boolean }): Promise<void> {
  const client = await ApiClient.fromEnvironment();
  if (!options.yes) {
    if (!process.stdin.isTTY) throw new CliError("Refusing to delete without confirmation: pass --yes when not at a terminal.");
    if (!(await confirm(`Delete connection '${ref}'?`))) throw new CliError("Not deleted.");
  }
  await client.delete(`/connections/${seg(ref)}`);
  console.log(`Deleted connection '${ref}'.`);
}

export function registerConnection(program: Command): void {
  const connection = program.command("connection").alias("connections").description("Manage storage connections (credentials for S3, GCS, Azure, …)");

  connection
    .command("create <name>")
    .description("Create a storage connection")
    .requiredOption("--provider <provider>", "s3, gcs, azure, huggingface, git or kaggle")
    .option("-c, --config <key=value>", "a setting: endpoint, region, forcePathStyle, projectId, accountName, … (repeatable)", collect)
    .option("-s, --secret <key=value>", "a secret: accessKeyId, secretAccessKey, token, …; key=@file reads a file (repeatable)", collect)
    .option("--json", "print the connection as JSON")
    .addHelpText(
      "after",
      "\nExample:\n  cairn connection create aws-eu --provider s3 --config region=eu-west-1 \\\n    --secret accessKeyId=AKIA… --secret secretAccessKey=…",
    )
    .action(create);

  connection
    .command("list")
    .alias("ls")
    .description("List storage connections")
    .option("--provider <provider>", "only this provider")
    .option("--json", "print JSON")
    .action(list);

  connection
    .command("delete <ref>")
    .alias("rm")
    .description("Delete a storage connection")
    .option("-y, --yes", "do not ask for confirmation (required when not at a terminal)")
    .action(remove);
}
