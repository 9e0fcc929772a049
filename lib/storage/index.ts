import "server-only";
import path from "node:path";
import { config } from "@/lib/config";
import { FsBlobStore } from "./fs-store";
import { S3BlobStore } from "./s3-store";
import type { BlobStore } from "./types";

export type { BlobStore, StoredBlob, WrittenBlob } from "./types";
export { BlobTooLargeError } from "./types";

const globalForStore = globalThis as unknown as { cairnBlobStore?: BlobStore };

/** The configured blob store: the filesystem under the data directory, or S3 with `CAIRN_STORAGE=s3`. */
export function getBlobStore(): BlobStore {
  if (!globalForStore.cairnBlobStore) {
    const cfg = config();
    globalForStore.cairnBlobStore =
      cfg.storage === "s3"
        ? new S3BlobStore({ ...cfg.s3, stagingDir: path.join(cfg.dataDir, "staging") })
        : new FsBlobStore(path.join(cfg.dataDir, "blobs"));
  }
  return globalForStore.cairnBlobStore;
}

/** Lets tests run the app's code against a store they made themselves. */
export function setBlobStore(store: BlobStore | undefined): void {
  globalForStore.cairnBlobStore = store;
}
