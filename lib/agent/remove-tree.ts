import { chmod, lstat, readdir, rm } from "node:fs/promises";
import path from "node:path";

/** Removes a tree that may hold read-only directories (sealed inputs), never following a link. */
export async function removeTree(dir: string): Promise<void> {
  const self = process.getuid?.();
  const unseal = async (current: string): Promise<void> => {
    // Only our own real directories: never follow a link or touch what the job's user made.
    const info = await lstat(current).catch(() => null);
    if (!info?.isDirectory() || (self !== undefined && self !== 0 && info.uid !== self)) return;
    await chmod(current, 0o755).catch(() => {});
    for (const entry of await readdir(current, { withFileTypes: true }).catch(() => [])) {
      if (entry.isDirectory()) await unseal(path.join(current, entry.name));
    }
  };
  await unseal(dir);
  await rm(dir, { recursive: true, force: true });
}
