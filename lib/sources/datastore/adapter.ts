import "server-only";
import { realpath, stat } from "node:fs/promises";
import path from "node:path";
import { isInside, openLocalFile, walkLocalTree } from "../local-tree";
import { PermanentSourceError, type SourceAdapter } from "../types";
import { datastoreSpec } from "./spec";

export const DATASTORE_ROOTS_ENV = "CAIRN_DATASTORE_ROOTS";
const ROOTS_NAME = `the datastore roots (${DATASTORE_ROOTS_ENV})`;

/** The administrator's roots, as listed and as real paths; a root that does not exist (yet) exposes nothing. */
async function datastoreRoots(): Promise<{ listed: string[]; real: string[] }> {
  const listed = (process.env[DATASTORE_ROOTS_ENV] ?? "")
    .split(/[,:]/)
    .map((s) => s.trim())
    .filter(Boolean);
  if (listed.length === 0) {
    throw new PermanentSourceError(`No datastore is exposed on this server: the administrator must set ${DATASTORE_ROOTS_ENV} to the directories users may read.`, "denied");
  }
  const relative = listed.find((r) => !path.isAbsolute(r));
  if (relative) throw new PermanentSourceError(`${DATASTORE_ROOTS_ENV} lists '${relative}', which is not an absolute path; the administrator must fix it.`);
  const real = await Promise.all(listed.map((r) => realpath(r).catch(() => null)));
  return { listed: listed.map((r) => path.resolve(r)), real: real.filter((r): r is string => r !== null) };
}

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

/**
 * A directory or file on the server, under a root the administrator lists in CAIRN_DATASTORE_ROOTS.
 * Judged on real paths: the path and every file below it (symbolic links resolved) must stay
 * inside a root, so neither `..` nor a link can reach the rest of the filesystem.
 */
export const datastoreSource: SourceAdapter = {
  type: datastoreSpec.type,
  async list(ctx) {
    const uri = ctx.uri.trim();
    if (uri.includes("\0") || !datastoreSpec.path.check(uri)) throw new PermanentSourceError(datastoreSpec.path.rule, "invalid");
    const roots = await datastoreRoots();
    const outside = new PermanentSourceError(`${uri} is outside ${ROOTS_NAME}; only paths under those directories can be read.`, "denied");
    // Judge the path as written first, so paths outside every root are refused without touching
    // the filesystem (whether they exist is none of the user's business).
    const lexical = path.resolve(uri);
    if (![...roots.listed, ...roots.real].some((root) => isInside(lexical, root))) throw outside;
    let real: string;
    try {
      real = await realpath(uri);
    } catch (error) {
      const code = errno(error);
      if (code === "ENOENT" || code === "ENOTDIR") throw new PermanentSourceError(`${uri} does not exist on the server.`, "not_found");
      if (code === "EACCES") throw new PermanentSourceError(`The server may not read ${uri} (permission denied).`, "denied");
      throw error;
    }
    if (!roots.real.some((root) => isInside(real, root))) throw outside;
    const info = await stat(real);
    if (info.isDirectory()) {
      const files = await walkLocalTree(real, {
        confineTo: roots.real,
        confinementName: ROOTS_NAME,
        onSkip: (rel) => void ctx.log(`Skipped ${rel}: not a regular file.`),
      });
      await ctx.log(`Datastore ${uri}: ${files.length} files.`);
      return { kind: "tree", files };
    }
    if (uri.endsWith("/")) throw new PermanentSourceError(`${uri} ends with '/' but is a file, not a directory.`);
    if (!info.isFile()) throw new PermanentSourceError(`${uri} is not a regular file or a directory.`);
    const name = path.basename(uri);
    return { kind: "single", name, file: { path: name, size: info.size, open: () => openLocalFile(uri, real, name, true) } };
  },
};
