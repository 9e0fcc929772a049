import type { Command } from "commander";
import { collect } from "./args";
import { ApiClient, seg } from "./client";
import { CliError } from "./config";
import { formatBytes, renderTable } from "./table";
import type { CheckpointResponse } from "@/lib/api/schemas/checkpoints";
import type { DeriveCheckpointBody, DerivePreview, DerivePreviewBody } from "@/lib/api/schemas/derive";

type DeriveOptions = { weightsOnly?: boolean; include?: string[]; exclude?: string[]; dryRun?: boolean; json?: boolean };

/** The dry run: a line of totals, then every file with KEEP or the reason it is dropped. */
export function describePreview(ref: string, preview: DerivePreview): string {
  const total = preview.keptFiles + preview.droppedFiles;
  const head = `Deriving from '${ref}' keeps ${preview.keptFiles} of ${total} files (${formatBytes(preview.keptBytes)}) and drops ${preview.droppedFiles} (${formatBytes(preview.droppedBytes)}).`;
  const rows = [
    ...preview.kept.map((f) => ({ path: f.path, size: f.size, verdict: "keep" })),
    ...preview.dropped.map((f) => ({ path: f.path, size: f.size, verdict: `drop: ${f.reason}` })),
  ]
    .sort((a, b) => a.path.localeCompare(b.path))
    .map((f) => [f.path, formatBytes(f.size), f.verdict]);
  return `${head}\n\n${renderTable(["PATH", "SIZE", "DERIVED"], rows)}`;
}

async function derive(ref: string, name: string | undefined, options: DeriveOptions): Promise<void> {
  const client = await ApiClient.fromEnvironment();
  const selection = {
    ...(options.weightsOnly ? { preset: "weights-only" as const } : {}),
    ...(options.include?.length ? { include: options.include } : {}),
    ...(options.exclude?.length ? { exclude: options.exclude } : {}),
  };
  if (options.dryRun) {
    const preview = await client.post<DerivePreview>(`/checkpoints/${seg(ref)}/derive/preview`, selection satisfies DerivePreviewBody);
    console.log(options.json ? JSON.stringify(preview, null, 2) : describePreview(ref, preview));
    return;
  }
  if (!name) throw new CliError("Name the new checkpoint: cairn checkpoint derive <ref> <name> (or preview with --dry-run).");
  const derived = await client.post<CheckpointResponse>(`/checkpoints/${seg(ref)}/derive`, { name, ...selection } satisfies DeriveCheckpointBody);
  const { status } = derived;
  console.log(
    options.json
      ? JSON.stringify(derived, null, 2)
      : `Derived '${derived.metadata.name}' from '${ref}': ${status.fileCount} file${status.fileCount === 1 ? "" : "s"}, ${formatBytes(status.size)}, ${status.status}. No bytes were copied.`,
  );
}

export function registerDerive(checkpoint: Command): void {
  checkpoint
    .command("derive <ref> [name]")
    .description("Create a checkpoint from some of another's files, sharing their bytes (ready at once)")
    .option("-w, --weights-only", "drop optimizer, scheduler and RNG state and DeepSpeed/FSDP optimizer shards")
    .option("-i, --include <glob>", "keep only files matching one of these globs (repeatable)", collect)
    .option("-x, --exclude <glob>", "drop files matching any of these globs (repeatable)", collect)
    .option("--dry-run", "show what would be kept and dropped, and why; create nothing")
    .option("--json", "print the checkpoint (or the preview) as JSON")
    .addHelpText(
      "after",
      "\nGlobs read as in .gitignore: `*.safetensors` matches at any depth, `text/*.json` from the root, `global_step*/` directories only.\n\nExamples:\n  cairn checkpoint derive run-step-2000 run-step-2000-weights --weights-only\n  cairn checkpoint derive run-step-2000 --weights-only --exclude '*.bin' --dry-run",
    )
    .action(derive);
}
