import "server-only";
import { constants } from "node:fs";
import { lstat, open, readdir, realpath, stat } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { PermanentSourceError, type SourceFile } from "./types";

export type LocalTreeOptions = {
  /** Entry names skipped wherever they appear (e.g. `.git`). */
  skipNames?: string[];
  /**
   * Real directories every file must resolve into. With it, symbolic links are followed and their
   * targets checked; without it, any symbolic link is refused (a git checkout has none to follow).
   */
  confineTo?: string[];
  /** How refusals name the confinement, e.g. "the datastore roots (CAIRN_DATASTORE_ROOTS)". */
  confinementName?: string;
  /** Told about entries that are neither files nor directories (sockets, FIFOs, devices), which are skipped. */
  onSkip?: (relativePath: string) => void;
};

/** True when `real` is `root` or below it; both must already be real paths. */
export function isInside(real: string, root: string): boolean {
  return real === root || real.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/**
 * Opens a file without following a link in its last component; when `confined`, only after
 * checking it still resolves where it did when listed — a file swapped for a link between
 * listing and reading is refused.
 */
export async function openLocalFile(absolute: string, real: string, rel: string, confined: boolean): Promise<Readable> {
  if (confined && (await realpath(absolute)) !== real) {
    throw new PermanentSourceError(`'${rel}' changed into a link to another place while it was being read; refusing it.`);
  }
  const handle = await open(confined ? real : absolute, constants.O_RDONLY | constants.O_NOFOLLOW);
  return handle.createReadStream();
}

/**
 * Every regular file below `root` as SourceFiles (paths relative to it, `/`-separated, read from
 * disk when opened). Symbolic links are refused, or with `confineTo` followed only while they stay
 * inside it; a link leading out is refused by name so the administrator can find it.
 */
export async function walkLocalTree(root: string, opts: LocalTreeOptions = {}): Promise<SourceFile[]> {
  const skip = new Set(opts.skipNames ?? []);
  const confine = opts.confineTo;
  const where = opts.confinementName ?? "the allowed directories";
  const rootReal = await realpath(root);
  const seenDirs = new Set<string>([rootReal]);
  const files: SourceFile[] = [];
  const stack: { absolute: string; real: string; rel: string }[] = [{ absolute: root, real: rootReal, rel: "" }];
  while (stack.length > 0) {
    const dir = stack.pop() as { absolute: string; real: string; rel: string };
    const entries = (await readdir(dir.absolute, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? 1 : -1));
    for (const entry of entries) {
      if (skip.has(entry.name)) continue;
      const absolute = path.join(dir.absolute, entry.name);
      const rel = dir.rel ? `${dir.rel}/${entry.name}` : entry.name;
      let info = await lstat(absolute);
      let real = path.join(dir.real, entry.name);
      if (info.isSymbolicLink()) {
        if (!confine) throw new PermanentSourceError(`'${rel}' is a symbolic link; links are not followed here.`);
        try {
          real = await realpath(absolute);
        } catch {
          throw new PermanentSourceError(`'${rel}' is a symbolic link to a place that does not exist; remove it or fix it.`);
        }
        if (!confine.some((r) => isInside(real, r))) {
          throw new PermanentSourceError(`'${rel}' is a symbolic link to ${real}, outside ${where}; refusing it.`);
        }
        info = await stat(real);
      }
      if (info.isDirectory()) {
        // A link back up the tree would otherwise be walked forever.
        if (seenDirs.has(real)) continue;
        seenDirs.add(real);
        stack.push({ absolute, real, rel });
      } else if (info.isFile()) {
        const fileReal = real;
        files.push({ path: rel, size: info.size, open: () => openLocalFile(absolute, fileReal, rel, Boolean(confine)) });
      } else {
        opts.onSkip?.(rel);
      }
    }
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
