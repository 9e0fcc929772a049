import { setTimeout as sleep } from "node:timers/promises";
import { ApiClient, seg } from "./client";
import { CliError } from "./config";
import { TaskProgress } from "./progress";
import type { CheckpointResponse } from "@/lib/api/schemas/checkpoints";
import type { ExportListResponse, ExportResponse } from "@/lib/api/schemas/exports";

const POLL_MS = 1000;

const sentence = (message: string | null) => {
  const text = (message ?? "no reason given").trim();
  return /[.!?]$/.test(text) ? text : `${text}.`;
};

/** Polls a checkpoint a server-side task is filling until it is ready; failed is an error. */
export async function followCheckpoint(client: ApiClient, id: string, name: string): Promise<CheckpointResponse> {
  const progress = new TaskProgress(`checkpoint ${name}`);
  try {
    for (;;) {
      const checkpoint = await client.get<CheckpointResponse>(`/checkpoints/${seg(id)}`);
      const { status, progress: p, message } = checkpoint.status;
      progress.update(status, p.bytesDone, p.bytesTotal, p.filesDone, p.filesTotal);
      if (status === "ready") return checkpoint;
      if (status === "failed") throw new CliError(`Checkpoint '${name}' failed: ${sentence(message)} Run \`cairn checkpoint inspect ${name}\` for details.`);
      await sleep(POLL_MS);
    }
  } finally {
    progress.stop();
  }
}

const EXPORT_DONE = new Set(["succeeded", "ready", "done", "completed", "complete"]);
const EXPORT_FAILED = new Set(["failed", "error", "cancelled", "canceled"]);

/** Polls `GET …/exports` for one export until it finishes; a failed export is an error. */
export async function followExport(client: ApiClient, ref: string, exportId: string): Promise<ExportResponse> {
  const progress = new TaskProgress(`export ${ref}`);
  try {
    for (;;) {
      const list = await client.get<ExportListResponse>(`/checkpoints/${seg(ref)}/exports`);
      const entry = list.items.find((item) => item.id === exportId);
      if (!entry) throw new CliError(`Export ${exportId} is not listed for checkpoint '${ref}'.`);
      const p = entry.progress;
      progress.update(entry.status, p.bytesDone, p.bytesTotal, p.filesDone, p.filesTotal);
      if (EXPORT_DONE.has(entry.status)) return entry;
      if (EXPORT_FAILED.has(entry.status)) throw new CliError(`Export of '${ref}' failed: ${sentence(entry.message ?? null)}`);
      await sleep(POLL_MS);
    }
  } finally {
    progress.stop();
  }
}
