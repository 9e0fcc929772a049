import { Worker } from "node:worker_threads";

/*
 * The worker's code, as a string: evaluated by Node itself, so the app's bundler never has to
 * find or transform a worker file. It hashes `path` from its start up to the prefix the parent
 * publishes in `shared[0]`, sleeping on the shared cell while it has caught up.
 */
const WORKER_SOURCE = `
const { workerData, parentPort } = require("node:worker_threads");
const { openSync, readSync, closeSync, fdatasyncSync } = require("node:fs");
const { createHash } = require("node:crypto");
const { path, size, shared, flushEvery } = workerData;
const prefix = new BigInt64Array(shared);
const fd = openSync(path, "r");
const hash = createHash("sha256");
const buffer = Buffer.allocUnsafe(4 * 1024 * 1024);
let hashed = 0;
let flushed = 0;
try {
  while (hashed < size) {
    const ready = Number(Atomics.load(prefix, 0));
    if (ready < 0) throw new Error("The write was abandoned.");
    if (hashed >= ready) {
      Atomics.wait(prefix, 0, BigInt(ready), 1000);
      continue;
    }
    const n = readSync(fd, buffer, 0, Math.min(buffer.length, ready - hashed), hashed);
    if (n === 0) throw new Error("The file is shorter than the bytes marked written.");
    hash.update(buffer.subarray(0, n));
    hashed += n;
    if (hashed - flushed >= flushEvery) {
      fdatasyncSync(fd);
      flushed = hashed;
    }
  }
  parentPort.postMessage(hash.digest("hex"));
} finally {
  closeSync(fd);
}
`;

/**
 * SHA-256 of a file that is being written out of order (parallel ranges, each at its offset), on a
 * thread of its own: `advance(n)` says the first `n` bytes are written, and the worker reads them
 * back from the page cache and hashes them while later ranges are still arriving. Hashing a GiB
 * costs ~0.7 s of CPU; here it runs beside the event loop that is parsing the downloads, where
 * hashing in order used to mean holding every range behind the head in memory until the head was
 * done.
 *
 * With `flushEvery`, the thread also flushes the file (fdatasync) every so many bytes hashed.
 */
export class FilePrefixHasher {
  private readonly prefix = new BigInt64Array(new SharedArrayBuffer(8));
  private readonly worker: Worker;
  private readonly result: Promise<string>;

  constructor(path: string, size: number, opts: { flushEvery?: number } = {}) {
    const flushEvery = opts.flushEvery ?? Number.POSITIVE_INFINITY;
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      // The code needs no loader hooks or flags of the parent (tsx's, say); they only slow its start.
      execArgv: [],
      workerData: { path, size, shared: this.prefix.buffer, flushEvery },
    });
    this.result = new Promise<string>((resolve, reject) => {
      this.worker.once("message", (digest: string) => resolve(digest));
      this.worker.once("error", reject);
      this.worker.once("exit", (code) => reject(new Error(`The hashing thread stopped (exit code ${code}) before the end of the file.`)));
    });
    // Whoever stops waiting for the digest (a failed download) still must not see an unhandled rejection.
    this.result.catch(() => {});
  }

  /** The first `bytes` bytes of the file are written (never moves back). */
  advance(bytes: number): void {
    if (bytes <= Number(Atomics.load(this.prefix, 0))) return;
    Atomics.store(this.prefix, 0, BigInt(bytes));
    Atomics.notify(this.prefix, 0);
  }

  /** The digest once every byte is hashed. */
  digest(): Promise<string> {
    return this.result;
  }

  /** Stops the thread; any pending `digest()` rejects. */
  async stop(): Promise<void> {
    Atomics.store(this.prefix, 0, -1n);
    Atomics.notify(this.prefix, 0);
    await this.worker.terminate();
  }
}
