import { createHash } from "node:crypto";
import type { ManifestFile } from "./repo";

/**
 * Every file of a checkpoint is presented as a Git LFS file, as the Hub presents weights: the
 * listing's `lfs.oid` is then the file's SHA-256 (what clients verify and cache by), and `oid` the
 * git blob id of its LFS pointer, which the Hub would store in git in its place.
 */
export function lfsPointer(file: Pick<ManifestFile, "sha256" | "size">): { oid: string; pointerSize: number } {
  const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${file.sha256}\nsize ${file.size}\n`;
  const pointerSize = Buffer.byteLength(pointer);
  return { oid: createHash("sha1").update(`blob ${pointerSize}\0${pointer}`).digest("hex"), pointerSize };
}

/** A stable 40-hex id for a folder of the listing, from the files under it (as a git tree id would be). */
export function folderOid(folder: string, files: readonly ManifestFile[]): string {
  const hash = createHash("sha1").update(`tree ${folder}\n`);
  for (const file of files) hash.update(`${file.path}\t${file.sha256}\t${file.size}\n`);
  return hash.digest("hex");
}
