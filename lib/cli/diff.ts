import type { Command } from "commander";
import type { CheckpointDiffResponse as CheckpointDiff } from "@/lib/api/schemas/checkpoints";
import { formatParameters } from "@/lib/model-facts/kinds";
import { ApiClient, seg } from "./client";
import { CliError } from "./config";

/** How long `diff` waits for the server to hash changed tensors before it says so and stops. */
const WAIT_MS = 10 * 60 * 1000;

/** Asks for the diff until the server has every tensor digest it needs (`computing` → `ready`). */
async function settledDiff(client: ApiClient, a: string, b: string, wait: boolean): Promise<CheckpointDiff> {
  const deadline = Date.now() + WAIT_MS;
  let noted = false;
  for (;;) {
    // The server holds a `computing` answer up to `wait` seconds, answering the moment digests land.
    const diff = await client.json<CheckpointDiff>("GET", `/checkpoints/${seg(a)}/diff/${seg(b)}${wait ? "?wait=30" : ""}`);
    if (diff.status === "ready" || !wait) return diff;
    if (Date.now() > deadline) throw new CliError(`The server is still hashing the changed tensors after ${WAIT_MS / 60_000} minutes; run the command again later.`);
    if (!noted && process.stderr.isTTY) process.stderr.write("Hashing the changed weight files tensor by tensor…\n");
    noted = true;
  }
}

/** The human diff: counts first, then the names, `+` added, `-` removed, `~` changed. */
export function describeDiff(a: string, b: string, diff: CheckpointDiff): string {
  const { files, tensors, parameters } = diff;
  const lines = [`${a} → ${b}`, `Files: ${files.added.length} added, ${files.removed.length} removed, ${files.changed.length} changed, ${files.identical.length} identical`];
  for (const name of files.added) lines.push(`  + ${name}`);
  for (const name of files.removed) lines.push(`  - ${name}`);
  for (const name of files.changed) lines.push(`  ~ ${name}`);
  if (tensors && parameters) {
    const share = parameters.total > 0 ? (parameters.changed / parameters.total) * 100 : 0;
    lines.push(
      `Tensors: ${tensors.added.length} added, ${tensors.removed.length} removed, ${tensors.changed.length} changed, ${tensors.identical} identical${diff.status === "computing" ? " (still computing)" : ""}`,
      `Parameters changed: ${formatParameters(parameters.changed)} of ${formatParameters(parameters.total)} (${share.toFixed(share > 0 && share < 0.1 ? 2 : 1)} %)`,
    );
    for (const name of tensors.added) lines.push(`  + ${name}`);
    for (const name of tensors.removed) lines.push(`  - ${name}`);
    for (const change of tensors.changed) lines.push(`  ~ ${change.name} (${change.reason})`);
  } else if (diff.status === "ready") lines.push("Tensors: no safetensors, PyTorch or GGUF weights on either side.");
  for (const problem of diff.problems) lines.push(`! ${problem}`);
  return lines.join("\n");
}

export function registerDiff(checkpoint: Command): void {
  checkpoint
    .command("diff <a> <b>")
    .description("What changed from checkpoint a to b: files by SHA-256, tensors by shape, dtype and values")
    .option("--no-wait", "answer at once, even while the server is still hashing changed tensors")
    .option("--json", "print the diff as JSON")
    .action(async (a: string, b: string, options: { wait: boolean; json?: boolean }) => {
      const client = await ApiClient.fromEnvironment();
      const diff = await settledDiff(client, a, b, options.wait);
      console.log(options.json ? JSON.stringify(diff, null, 2) : describeDiff(a, b, diff));
    });
}
