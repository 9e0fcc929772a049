import { formatAge, formatBytes } from "@/lib/format";

export { formatAge, formatBytes };

/** A table as the reference CLI prints it: columns padded to their widest cell, joined by ` | `. */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((cell, i) => (cell ?? "").padEnd(widths[i])).join(" | ").trimEnd();
  const rule = widths.map((width) => "-".repeat(width)).join("-+-");
  return [line(headers), rule, ...rows.map(line)].join("\n");
}

type ListedCheckpoint = {
  metadata: { name: string };
  status: { status: string; size: number; fileCount: number; createdAt: string };
};

export const CHECKPOINT_COLUMNS = ["NAME", "FILES COUNT", "TOTAL SIZE", "STATUS", "CREATED AT"];

/** The rows of `cairn checkpoint list`: `17 GB`, `16d`. */
export function checkpointRows(items: ListedCheckpoint[], now: Date = new Date()): string[][] {
  return items.map((item) => [
    item.metadata.name,
    String(item.status.fileCount),
    formatBytes(item.status.size),
    item.status.status,
    formatAge(item.status.createdAt, now),
  ]);
}

/** A transfer rate for humans: `112.4 MB/s`. */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

type ListedJob = {
  name: string;
  type: string;
  status: string;
  exitCode: number | null;
  checkpoints: { name: string }[];
  outputs: string[];
  createdAt: string;
};

export const JOB_COLUMNS = ["NAME", "TYPE", "STATUS", "CHECKPOINTS", "OUTPUTS", "CREATED AT"];

/** The rows of `cairn job list`: `failed (exit 2)`, the attached checkpoints by name, `3m`. */
export function jobRows(items: ListedJob[], now: Date = new Date()): string[][] {
  return items.map((job) => [
    job.name,
    job.type,
    job.exitCode === null || job.status === "succeeded" ? job.status : `${job.status} (exit ${job.exitCode})`,
    job.checkpoints.map((c) => c.name).join(", ") || "-",
    String(job.outputs.length),
    formatAge(job.createdAt, now),
  ]);
}
