import { inParallel } from "@/lib/async/in-parallel";
import type { Db } from "@/lib/db/client";
import { keepOnlyFileRows, listFiles } from "@/lib/db/queries/files";
import { getBlobStore } from "@/lib/storage";

/** What the source offers at one path: its size when known, and the SHA-256 it vouches for, if any. */
type Offered = { path: string; size: number | null; sha256?: string };

export type KeptFiles = { paths: Set<string>; bytes: number };

const HAS_CHECKS = 16;

/**
 * What an ingest keeps from the attempts before it (a retry, or a takeover of a dead worker's
 * ingest): every file whose row exists — a row only ever names a durable blob whose SHA-256 the
 * store computed, held to any SHA-256 the source vouched for — that the source still offers at
 * the same path and size (and the same SHA-256, when it vouches one), and whose blob the store
 * still has. Every other row goes, and the checkpoint's size and file count match what remains;
 * `offered: []` (an archive, extracted anew) drops them all.
 */
export async function keepStoredFiles(db: Db, { checkpointId, offered }: { checkpointId: string; offered: Offered[] }): Promise<KeptFiles> {
  const previous = await listFiles(db, { checkpointId });
  if (previous.length === 0) return { paths: new Set(), bytes: 0 };
  const stored = new Map(previous.map((file) => [file.path, file]));
  const candidates = offered.flatMap((file) => {
    const row = stored.get(file.path);
    const same = row && file.size !== null && row.size === file.size && (!file.sha256 || file.sha256.toLowerCase() === row.sha256);
    return same ? [row] : [];
  });
  const store = getBlobStore();
  const present: typeof candidates = [];
  await inParallel(candidates, HAS_CHECKS, async (row) => {
    if (await store.has(row.sha256)) present.push(row);
  });
  await keepOnlyFileRows(db, { checkpointId, keep: present.map((row) => row.path) });
  return { paths: new Set(present.map((row) => row.path)), bytes: present.reduce((sum, row) => sum + row.size, 0) };
}
