import "server-only";
import { ApiError, notFound } from "@/lib/api/errors";
import type { CheckpointResponse } from "@/lib/api/schemas/checkpoints";
import type { DeriveCheckpointBody, DerivePreview, DerivePreviewBody } from "@/lib/api/schemas/derive";
import type { Caller } from "@/lib/auth/caller";
import type { Db } from "@/lib/db/client";
import { insertAuditEvent } from "@/lib/db/queries/audit";
import { findCheckpoint, insertCheckpoint, insertLog, lockCheckpoint } from "@/lib/db/queries/checkpoints";
import { insertFileRows, listFiles } from "@/lib/db/queries/files";
import { isUniqueViolation } from "@/lib/db/errors";
import type { Checkpoint } from "@/lib/db/schema";
import { formatBytes } from "@/lib/format";
import { planDerive, type DerivePlan, type DeriveSelection } from "./derive-rule";
import { isComplete } from "./kinds";
import { afterCheckpointReady } from "./on-ready";
import { presentCheckpoint } from "./present";
import { nameTaken, resolveCheckpoint } from "./service";

type File = { path: string; size: number; sha256: string };

/*
 * Deriving: a new checkpoint from some of another's files, without copying a byte. The derived
 * checkpoint's manifest names the source's blobs, so it is `ready` at once and adds nothing to the
 * organization's stored bytes; deleting either one leaves the other whole (a blob goes only when
 * no file references it). Which files are kept is lib/checkpoints/derive-rule.ts's to say.
 */

function assertDerivable(row: Checkpoint): void {
  if (isComplete(row.status)) return;
  const next = row.status === "failed" ? "It failed; derive from a ready checkpoint instead." : "Wait until it is ready, then derive from it.";
  throw new ApiError("conflict", `Checkpoint '${row.name}' is ${row.status}, not ready: only a ready checkpoint's files can be derived from. ${next}`, {
    status: row.status,
  });
}

const bytesOf = (files: { size: number }[]) => files.reduce((sum, file) => sum + file.size, 0);

/** `validation_failed` when the selection keeps nothing, naming the fields that asked for it. */
function assertKeepsSomething(plan: DerivePlan<File>, selection: DeriveSelection, source: Checkpoint): void {
  if (plan.kept.length > 0) return;
  const asked = (["preset", "include", "exclude"] as const).filter((field) => selection[field] !== undefined);
  const n = plan.dropped.length;
  const message =
    n === 0
      ? `Checkpoint '${source.name}' has no files to derive from.`
      : `Nothing would be kept: ${asked.length > 0 ? asked.join(", ") : "the selection"} drop${asked.length === 1 ? "s" : ""} all ${n} file${n === 1 ? "" : "s"} of '${source.name}'. Loosen the include or exclude globs.`;
  const fields = Object.fromEntries((asked.length > 0 ? asked : ["body"]).map((field) => [field, `keeps none of the ${n} files`]));
  throw new ApiError("validation_failed", message, { fields });
}

function preview(plan: DerivePlan<File>): DerivePreview {
  return {
    kept: plan.kept,
    dropped: plan.dropped,
    keptFiles: plan.kept.length,
    keptBytes: bytesOf(plan.kept),
    droppedFiles: plan.dropped.length,
    droppedBytes: bytesOf(plan.dropped),
  };
}

const selectionOf = ({ preset, include, exclude }: DerivePreviewBody | DeriveCheckpointBody): DeriveSelection => ({ preset, include, exclude });

/** The selection in words for the log: "weights only, include *.safetensors, exclude docs/". */
function describeSelection({ preset, include, exclude }: DeriveSelection): string {
  const parts = [preset === "weights-only" ? "weights only" : null, include?.length ? `include ${include.join(" ")}` : null, exclude?.length ? `exclude ${exclude.join(" ")}` : null];
  const said = parts.filter(Boolean).join(", ");
  return said ? ` (${said})` : " (every file)";
}

/** The selection as `spec.sourceOptions`: one glob a line, so `inspect` shows it as a YAML block. */
function selectionOptions({ preset, include, exclude }: DeriveSelection): Record<string, string> {
  return {
    ...(preset ? { preset } : {}),
    ...(include?.length ? { include: include.join("\n") } : {}),
    ...(exclude?.length ? { exclude: exclude.join("\n") } : {}),
  };
}

/** `POST /checkpoints/{ref}/derive/preview`: what a derive with this body would keep and drop, and why. */
export async function previewDerive(db: Db, { orgId, ref }: { orgId: string; ref: string }, body: DerivePreviewBody): Promise<DerivePreview> {
  const source = await resolveCheckpoint(db, { orgId, ref });
  assertDerivable(source);
  return preview(planDerive(await listFiles(db, { checkpointId: source.id }), selectionOf(body)));
}

/**
 * `POST /checkpoints/{ref}/derive`: a `ready` checkpoint of the kept files of one of the org's
 * ready checkpoints, `sourceType: "derived"`, `spec.derivedFrom` its id. The source is locked
 * while the manifest is copied, so a concurrent delete waits (and then leaves the blobs, which the
 * new manifest references) or went first (404).
 */
export async function deriveCheckpoint(db: Db, caller: Caller, ref: string, body: DeriveCheckpointBody): Promise<CheckpointResponse> {
  const found = await resolveCheckpoint(db, { orgId: caller.orgId, ref });
  assertDerivable(found);
  if (await findCheckpoint(db, { orgId: caller.orgId, name: body.name })) throw nameTaken(body.name);
  const selection = selectionOf(body);
  try {
    const { row, kept } = await db.transaction(async (tx) => {
      const source = await lockCheckpoint(tx, { orgId: caller.orgId, id: found.id });
      if (!source) throw notFound(`Checkpoint '${ref}'`);
      assertDerivable(source);
      const plan = planDerive(await listFiles(tx, { checkpointId: source.id }), selection);
      assertKeepsSomething(plan, selection, source);
      const size = bytesOf(plan.kept);
      const count = plan.kept.length;
      const now = new Date();
      const created = await insertCheckpoint(tx, {
        orgId: caller.orgId,
        name: body.name,
        creatorUserId: caller.user.id,
        sourceType: "derived",
        sourceUri: `checkpoint://${source.id}`,
        sourceOptions: selectionOptions(selection),
        status: "ready",
        readyAt: now,
        size,
        fileCount: count,
        bytesDone: size,
        bytesTotal: size,
        filesDone: count,
        filesTotal: count,
        step: source.step,
        derivedFromId: source.id,
      });
      await insertFileRows(tx, { checkpointId: created.id, files: plan.kept });
      const summary = `kept ${count} of ${count + plan.dropped.length} files, ${formatBytes(size)}; no bytes copied`;
      await insertLog(tx, { checkpointId: created.id, message: `Derived by ${caller.user.email} from '${source.name}' (${source.id})${describeSelection(selection)}: ${summary}. Ready.` });
      await insertLog(tx, { checkpointId: source.id, message: `'${body.name}' was derived from this checkpoint by ${caller.user.email}: ${summary}.` });
      await insertAuditEvent(tx, {
        orgId: caller.orgId,
        actor: { kind: "user", id: caller.user.id, name: caller.user.email },
        action: "checkpoint.derive",
        target: { kind: "checkpoint", id: created.id, name: created.name },
        details: { from: { id: source.id, name: source.name }, ...selectionOptions(selection), fileCount: count, logicalBytes: size, droppedFiles: plan.dropped.length },
      });
      return { row: created, kept: plan.kept };
    });
    await afterCheckpointReady(row);
    return presentCheckpoint(row, { files: kept });
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(body.name);
    throw error;
  }
}
