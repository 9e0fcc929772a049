import type { Readable } from "node:stream";
import { responseStream } from "@/lib/api/response-stream";
import { isComplete } from "@/lib/checkpoints/kinds";
import { ApiError } from "@/lib/api/errors";
import { resolveCheckpoint } from "@/lib/checkpoints/service";
import type { ArchiveEntry } from "@/lib/archive/create-tar";
import { tarSize, tarStream } from "@/lib/archive/create-tar";
import { zipSize, zipStream } from "@/lib/archive/create-zip";
import type { Db } from "@/lib/db/client";
import { listFiles } from "@/lib/db/queries/files";
import type { Checkpoint } from "@/lib/db/schema";
import { getBlobStore } from "@/lib/storage";

export type ArchiveFormat = "tar" | "zip";

/** Checkpoints whose content is complete and frozen: what can be archived or exported. */
export function assertComplete(row: Checkpoint, action: string): void {
  if (isComplete(row.status)) return;
  throw new ApiError(
    "conflict",
    `Checkpoint '${row.name}' is ${row.status}; only a ready checkpoint can be ${action}. Wait until it is ready${row.status === "failed" ? ", or create it again" : ""}.`,
    { status: row.status },
  );
}

function attachment(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/**
 * The whole checkpoint as one tar or zip, streamed from the blob store file by file (no
 * temporary copy), with its exact Content-Length computed before the first byte.
 */
export async function downloadArchive(db: Db, { orgId, ref, format }: { orgId: string; ref: string; format: ArchiveFormat }): Promise<Response> {
  const row = await resolveCheckpoint(db, { orgId, ref });
  assertComplete(row, "downloaded");
  const files = await listFiles(db, { checkpointId: row.id });
  const store = getBlobStore();
  const entries: ArchiveEntry[] = files.map((file) => ({ path: file.path, size: file.size, open: () => store.get(file.sha256) }));
  const mtime = row.readyAt ?? row.updatedAt;
  const headers = new Headers({
    "content-disposition": attachment(`${row.name}.${format}`),
    "cache-control": "private, no-store",
  });
  let stream: Readable;
  if (format === "tar") {
    headers.set("content-type", "application/x-tar");
    headers.set("content-length", String(tarSize(entries, Math.floor(mtime.getTime() / 1000))));
    stream = tarStream(entries, Math.floor(mtime.getTime() / 1000));
  } else {
    headers.set("content-type", "application/zip");
    headers.set("content-length", String(zipSize(entries)));
    stream = zipStream(entries, mtime);
  }
  return new Response(responseStream(stream), { status: 200, headers });
}
