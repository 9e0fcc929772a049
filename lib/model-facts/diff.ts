import "server-only";
import type { CheckpointDiff } from "./kinds";

export type { CheckpointDiff };

/** One side of a diff: a checkpoint's files, and the tensors each weight file's header names. */
export type DiffFile = { path: string; sha256: string };
export type DiffTensor = { name: string; dtype: string; shape: number[]; parameters: number; blob: string };

/** Files by path: a path on one side only is added or removed; on both, its SHA-256 decides. */
export function diffFiles(a: DiffFile[], b: DiffFile[]): CheckpointDiff["files"] {
  const before = new Map(a.map((f) => [f.path, f.sha256]));
  const after = new Map(b.map((f) => [f.path, f.sha256]));
  const files: CheckpointDiff["files"] = { added: [], removed: [], changed: [], identical: [] };
  for (const [filePath, sha] of after) {
    const old = before.get(filePath);
    if (old === undefined) files.added.push(filePath);
    else if (old === sha) files.identical.push(filePath);
    else files.changed.push(filePath);
  }
  for (const filePath of before.keys()) if (!after.has(filePath)) files.removed.push(filePath);
  for (const list of Object.values(files)) list.sort();
  return files;
}

/**
 * Tensors by name across all weight files. Shape and dtype come from headers; values from
 * per-tensor SHA-256s — needed only where the two tensors sit in different blobs (the same blob
 * holds the same bytes). `digestOf(blob, name)` answers undefined while a blob's digests are
 * being computed; then the answer is `computing` and names what is known so far.
 */
export function diffTensors(
  a: DiffTensor[],
  b: DiffTensor[],
  digestOf: (blob: string, name: string) => string | null | undefined,
): { status: CheckpointDiff["status"]; tensors: NonNullable<CheckpointDiff["tensors"]>; parameters: NonNullable<CheckpointDiff["parameters"]> } {
  const before = new Map(a.map((t) => [t.name, t]));
  const after = new Map(b.map((t) => [t.name, t]));
  const tensors: NonNullable<CheckpointDiff["tensors"]> = { added: [], removed: [], identical: 0, changed: [] };
  let changedParameters = 0;
  let pending = false;
  for (const [name, tensor] of after) {
    const old = before.get(name);
    if (!old) {
      tensors.added.push(name);
      changedParameters += tensor.parameters;
      continue;
    }
    const reason = sameShape(old.shape, tensor.shape) ? (old.dtype === tensor.dtype ? null : "dtype") : "shape";
    if (reason) {
      tensors.changed.push({ name, reason });
      changedParameters += tensor.parameters;
      continue;
    }
    if (old.blob === tensor.blob) {
      tensors.identical += 1;
      continue;
    }
    const [x, y] = [digestOf(old.blob, name), digestOf(tensor.blob, name)];
    if (x === undefined || y === undefined) {
      pending = true;
      continue;
    }
    if (x !== null && x === y) tensors.identical += 1;
    else {
      tensors.changed.push({ name, reason: "values" });
      changedParameters += tensor.parameters;
    }
  }
  for (const name of before.keys()) if (!after.has(name)) tensors.removed.push(name);
  tensors.added.sort();
  tensors.removed.sort();
  tensors.changed.sort((p, q) => p.name.localeCompare(q.name));
  const total = b.reduce((sum, t) => sum + t.parameters, 0);
  return { status: pending ? "computing" : "ready", tensors, parameters: { changed: changedParameters, total } };
}

const sameShape = (x: number[], y: number[]) => x.length === y.length && x.every((n, i) => n === y[i]);
