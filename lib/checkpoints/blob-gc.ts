import "server-only";
import type { Db } from "@/lib/db/client";
import { deleteBlobRow, unreferencedBlobs } from "@/lib/db/queries/files";
import { unreferencedOf } from "@/lib/db/queries/storage";
import type { BlobStore } from "@/lib/storage";

/*
 * Blob garbage collection lives here, where rows and blobs meet: the database says which blobs no
 * checkpoint file references, the store deletes their bytes. The store itself knows no rows.
 *
 * Each blob goes bytes first, then its row, and only while no file references it: a run killed
 * anywhere leaves either nothing done or a row whose bytes are gone, which the next run finds
 * unreferenced again and finishes (deleting absent bytes is a no-op). So collection is safe to
 * re-run at any point, and every blob is counted once — when its row goes.
 */

/** Blobs younger than this are left alone: a write may be about to reference them. */
const GRACE_MS = 60 * 60 * 1000;

async function dropBlob(db: Db, store: BlobStore, sha256: string): Promise<boolean> {
  await store.delete(sha256);
  return deleteBlobRow(db, { sha256 });
}

/** Deletes blobs that no checkpoint file references any more; returns how many went. */
export async function collectBlobs(db: Db, store: BlobStore, { graceMs = GRACE_MS } = {}): Promise<number> {
  let removed = 0;
  for (;;) {
    const batch = await unreferencedBlobs(db, { olderThan: new Date(Date.now() - graceMs), limit: 500 });
    if (batch.length === 0) return removed;
    for (const { sha256 } of batch) {
      if (await dropBlob(db, store, sha256)) removed += 1;
    }
  }
}

/**
 * The second phase of a delete: of the blobs the deleted rows referenced, drops the ones nothing
 * references now (no grace: a committed manifest held them, so no write of theirs is in flight).
 * Returns how many went.
 */
export async function collectReleasedBlobs(db: Db, store: BlobStore, sha256s: string[]): Promise<number> {
  let removed = 0;
  for (let i = 0; i < sha256s.length; i += 500) {
    for (const sha256 of await unreferencedOf(db, { sha256s: sha256s.slice(i, i + 500) })) {
      if (await dropBlob(db, store, sha256)) removed += 1;
    }
  }
  return removed;
}
