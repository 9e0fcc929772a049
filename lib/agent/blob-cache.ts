import { chmod, lstat, mkdir, open, readdir, readFile, rename, rm, unlink, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { isAlive } from "./command";

type Hold = { pid: number; shas: string[] };

/**
 * A node-local, content-addressed cache of blobs for job inputs, shared by every agent on the
 * node: `blobs/<aa>/<sha256>` (read-only, verified), a lock per blob being fetched so two agents
 * never fetch it twice, and a hold file per running job naming the blobs it uses. Past
 * `maxBytes`, the least recently used blobs no live job holds are evicted.
 */
export class BlobCache {
  constructor(
    readonly root: string,
    private readonly maxBytes: number,
    private readonly jobId: string,
  ) {}

  blobPath(sha256: string): string {
    return path.join(this.root, "blobs", sha256.slice(0, 2), sha256);
  }

  /** Marks the blobs as used by this job until `release`, so no other agent's eviction takes them. */
  async hold(shas: string[]): Promise<void> {
    const dir = path.join(this.root, "holds");
    await mkdir(dir, { recursive: true });
    const temp = path.join(dir, `.${this.jobId}.${process.pid}`);
    await writeFile(temp, JSON.stringify({ pid: process.pid, shas } satisfies Hold));
    await rename(temp, path.join(dir, `${this.jobId}.json`));
  }

  async release(): Promise<void> {
    await rm(path.join(this.root, "holds", `${this.jobId}.json`), { force: true });
  }

  /**
   * The blob's path in the cache, fetching it first when absent: `fetch` writes and verifies it at
   * the path it is given. Only the agent holding the blob's lock fetches; the others wait for it.
   */
  async ensure(sha256: string, size: number, fetch: (target: string) => Promise<void>): Promise<{ path: string; fetched: boolean }> {
    const target = this.blobPath(sha256);
    for (;;) {
      if (await this.present(target, size)) {
        // Its mtime is the LRU clock.
        await utimes(target, new Date(), new Date()).catch(() => {});
        return { path: target, fetched: false };
      }
      const unlock = await this.lock(sha256);
      if (!unlock) {
        await sleep(100);
        continue;
      }
      try {
        if (await this.present(target, size)) continue;
        const temp = path.join(this.root, "tmp", sha256);
        await mkdir(path.dirname(temp), { recursive: true });
        await mkdir(path.dirname(target), { recursive: true });
        await fetch(temp);
        // Flushed before it is named: the cache trusts a named blob of the right size without re-hashing.
        const handle = await open(temp, "r");
        await handle.sync().finally(() => handle.close());
        await chmod(temp, 0o444);
        await rename(temp, target);
        return { path: target, fetched: true };
      } finally {
        await unlock();
      }
    }
  }

  private async present(target: string, size: number): Promise<boolean> {
    const info = await lstat(target).catch(() => null);
    return info?.isFile() === true && info.size === size;
  }

  /** Takes the blob's lock (a file naming our pid), or null while a live agent holds it; a dead one's lock is taken over. */
  private async lock(sha256: string): Promise<(() => Promise<void>) | null> {
    const file = path.join(this.root, "locks", sha256);
    await mkdir(path.dirname(file), { recursive: true });
    try {
      const handle = await open(file, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => unlink(file).catch(() => {});
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = Number(await readFile(file, "utf8").catch(() => ""));
    if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) return null;
    // Written by an agent that died (or not yet written: give it a moment before taking over).
    await sleep(50);
    const again = Number(await readFile(file, "utf8").catch(() => "0"));
    if (again === owner) await unlink(file).catch(() => {});
    return null;
  }

  /** Removes least recently used blobs that no live job holds until the cache fits; returns the bytes freed. */
  async evict(): Promise<number> {
    const held = new Set<string>();
    const holdsDir = path.join(this.root, "holds");
    for (const name of await readdir(holdsDir).catch(() => [])) {
      if (!name.endsWith(".json")) continue;
      const hold = JSON.parse(await readFile(path.join(holdsDir, name), "utf8").catch(() => "null")) as Hold | null;
      if (hold && isAlive(hold.pid)) for (const sha of hold.shas) held.add(sha);
      else await rm(path.join(holdsDir, name), { force: true });
    }
    const blobs: { file: string; sha: string; size: number; usedAt: number }[] = [];
    const blobsDir = path.join(this.root, "blobs");
    for (const shard of await readdir(blobsDir).catch(() => [])) {
      for (const sha of await readdir(path.join(blobsDir, shard)).catch(() => [])) {
        const file = path.join(blobsDir, shard, sha);
        const info = await lstat(file).catch(() => null);
        if (info?.isFile()) blobs.push({ file, sha, size: info.size, usedAt: info.mtimeMs });
      }
    }
    let total = blobs.reduce((sum, b) => sum + b.size, 0);
    let freed = 0;
    for (const blob of blobs.sort((a, b) => a.usedAt - b.usedAt)) {
      if (total <= this.maxBytes) break;
      if (held.has(blob.sha)) continue;
      await rm(blob.file, { force: true });
      total -= blob.size;
      freed += blob.size;
    }
    return freed;
  }
}
