import "server-only";
import { getDb, type Db } from "@/lib/db/client";
import { deleteBlobRow, unreferencedBlobs } from "@/lib/db/queries/files";
import { getBlobStore, type BlobStore } from "@/lib/storage";

/*
 * Blob garbage collection lives here, where rows and blobs meet: the database says which blobs no
 * checkpoint file references, the store deletes their bytes. The store itself knows no rows.
 */

/** Blobs younger than this are left alone: a write may be about to reference them. */
const GRACE_MS = 60 * 60 * 1000;

/** Deletes blobs that no checkpoint file references any more; returns how many went. */
export async function collectBlobs(db: Db, store: BlobStore, { graceMs = GRACE_MS } = {}): Promise<number> {
  let removed = 0;
  for (;;) {
    const batch = await unreferencedBlobs(db, { olderThan: new Date(Date.now() - graceMs), limit: 500 });
    if (batch.length === 0) return removed;
    for (const { sha256 } of batch) {
      await store.delete(sha256);
      await deleteBlobRow(db, { sha256 });
      removed += 1;
    }
  }
}

/** Runs a collection in the background after a delete; failures only log, the next run retries. */
export function scheduleBlobCollection(): void {
  setTimeout(() => {
    getDb()
      .then((db) => collectBlobs(db, getBlobStore()))
      .catch((error) => console.error("blob collection failed", error));
  }, 1000).unref();
}
