import { ApiError, notFound } from "@/lib/api/errors";
import type { CheckpointFileList, CheckpointList, CheckpointLogs, CreateCheckpointBody, ListCheckpointsQuery, PatchCheckpointBody } from "@/lib/api/schemas/checkpoints";
import { isUuid } from "@/lib/api/schemas/common";
import { isUniqueViolation } from "@/lib/db/errors";
import type { Caller } from "@/lib/auth/caller";
import { can } from "@/lib/auth/permissions";
import type { Db } from "@/lib/db/client";
import {
  decodeCursor,
  encodeCursor,
  findCheckpoint,
  findPublicCheckpoint,
  insertCheckpoint,
  insertLog,
  listCheckpoints,
  listLogs,
  lockCheckpoint,
  updateCheckpoint,
} from "@/lib/db/queries/checkpoints";
import { deleteFileRows, listFiles } from "@/lib/db/queries/files";
import { findJob, jobsUsingCheckpoint } from "@/lib/db/queries/jobs";
import type { Checkpoint } from "@/lib/db/schema";
import { cancelIngestRow } from "@/lib/db/queries/ingest";
import { stopIngestInThisProcess } from "@/lib/ingest/cancel";
import { presentCheckpoint } from "./present";
import { enqueueIngest } from "@/lib/queue/tasks";
import { assertSourceUsable } from "./source-check";
import { notifyCheckpoint } from "@/lib/webhooks/events";

type OrgScope = { orgId: string };

export const nameTaken = (name: string) =>
  new ApiError("conflict", `A checkpoint named '${name}' already exists in this organization. Pick another name.`, {
    fields: { name: "already taken" },
  });

/**
 * A live checkpoint of the org by UUID or name; anything else — another org's too — is 404.
 * `allowPublic` (read routes only) also finds another org's public checkpoint, by id or unique name.
 */
export async function resolveCheckpoint(
  db: Db,
  { orgId, ref, allowPublic = false }: OrgScope & { ref: string; allowPublic?: boolean },
): Promise<Checkpoint> {
  const key = isUuid(ref) ? { id: ref } : { name: ref };
  const row = (await findCheckpoint(db, { orgId, ...key })) ?? (allowPublic ? await findPublicCheckpoint(db, key) : null);
  if (!row) throw notFound(`Checkpoint '${ref}'`);
  return row;
}

export async function listOrgCheckpoints(db: Db, { orgId }: OrgScope, { job, ...query }: ListCheckpointsQuery): Promise<CheckpointList> {
  const cursor = query.cursor ? decodeCursor(query.cursor) : null;
  if (query.cursor && !cursor) throw new ApiError("invalid_request", "The cursor is not valid. Start again from the first page.");
  const producer = job ? await findJob(db, { orgId, ...(isUuid(job) ? { id: job } : { name: job }) }) : null;
  if (job && !producer) throw notFound(`Job '${job}'`);
  const { rows, hasMore, total } = await listCheckpoints(db, { orgId, ...query, producedByJobId: producer?.id, cursor });
  const last = rows.at(-1);
  return {
    items: rows.map((row) => presentCheckpoint(row)),
    nextCursor: hasMore && last ? encodeCursor(last, query.sort) : null,
    total,
  };
}

export async function createCheckpoint(db: Db, caller: Caller, body: CreateCheckpointBody) {
  await assertSourceUsable(db, caller.orgId, body);
  if (await findCheckpoint(db, { orgId: caller.orgId, name: body.name })) throw nameTaken(body.name);
  try {
    const row = await insertCheckpoint(db, {
      orgId: caller.orgId,
      name: body.name,
      creatorUserId: caller.user.id,
      sourceType: body.sourceType as Checkpoint["sourceType"],
      sourceUri: body.sourceUri ?? null,
      connection: body.connection ?? null,
      sourceOptions: body.sourceOptions ?? {},
      fromLocalFiles: body.fromLocalFiles ?? [],
      status: body.sourceType === "local" ? "uploading" : "new",
    });
    await insertLog(db, { checkpointId: row.id, message: `Created by ${caller.user.email} from source '${body.sourceType}'.` });
    if (row.sourceType !== "local") await enqueueIngest({ checkpointId: row.id, orgId: row.orgId });
    return presentCheckpoint(row, { files: [] });
  } catch (error) {
    if (isUniqueViolation(error)) throw nameTaken(body.name);
    throw error;
  }
}

export async function getCheckpointDetail(db: Db, scope: OrgScope & { ref: string }) {
  const row = await resolveCheckpoint(db, { ...scope, allowPublic: true });
  const [files, usedBy, producer] = await Promise.all([
    listFiles(db, { checkpointId: row.id }),
    jobsUsingCheckpoint(db, { orgId: scope.orgId, checkpointId: row.id, scope: row.orgId === scope.orgId ? "lineage" : "own" }),
    row.producedByJobId ? findJob(db, { orgId: row.orgId, id: row.producedByJobId }) : null,
  ]);
  return presentCheckpoint(row, { files, usedBy, producedByName: producer?.name ?? null });
}

export async function patchCheckpoint(db: Db, caller: Caller, ref: string, body: PatchCheckpointBody) {
  const row = await resolveCheckpoint(db, { orgId: caller.orgId, ref });
  if (body.visibility && body.visibility !== row.visibility && !can(caller.role, "admin")) {
    throw new ApiError("forbidden", "Only owners and admins can make a checkpoint public or private.");
  }
  if (body.name && body.name !== row.name && (await findCheckpoint(db, { orgId: caller.orgId, name: body.name }))) {
    throw nameTaken(body.name);
  }
  try {
    const updated = await updateCheckpoint(db, { orgId: caller.orgId, id: row.id }, body);
    if (!updated) throw notFound(`Checkpoint '${ref}'`);
    if (body.name && body.name !== row.name) {
      await insertLog(db, { checkpointId: row.id, message: `Renamed from '${row.name}' to '${body.name}' by ${caller.user.email}.` });
    }
    if (body.pinned !== undefined && body.pinned !== row.pinned) {
      await insertLog(db, { checkpointId: row.id, message: `${body.pinned ? "Pinned" : "Unpinned"} by ${caller.user.email}${body.pinned ? "; retention policies keep it" : ""}.` });
    }
    return presentCheckpoint(updated, { files: await listFiles(db, { checkpointId: row.id }) });
  } catch (error) {
    if (isUniqueViolation(error) && body.name) throw nameTaken(body.name);
    throw error;
  }
}

const INGESTING: readonly string[] = ["new", "downloading", "extracting"];

/**
 * `POST …/cancel`: stops the ingest of a checkpoint that is queued, downloading or extracting. It
 * ends `failed` with "Cancelled by <email>." at once; the transfer stops within a second (in this
 * process at once, elsewhere when its worker next looks at the row) and keeps nothing it stored.
 */
export async function cancelCheckpoint(db: Db, caller: Caller, ref: string) {
  const row = await resolveCheckpoint(db, { orgId: caller.orgId, ref });
  const message = `Cancelled by ${caller.user.email}.`;
  const cancelled = await db.transaction(async (tx) => {
    const locked = await lockCheckpoint(tx, { orgId: caller.orgId, id: row.id });
    if (!locked) throw notFound(`Checkpoint '${ref}'`);
    if (!INGESTING.includes(locked.status)) {
      throw new ApiError(
        "conflict",
        `Checkpoint '${locked.name}' is not being ingested (its status is '${locked.status}'); only a queued, downloading or extracting checkpoint can be cancelled.`,
        { status: locked.status },
      );
    }
    const updated = await cancelIngestRow(tx, { checkpointId: row.id, message });
    if (!updated) throw notFound(`Checkpoint '${ref}'`);
    await deleteFileRows(tx, { checkpointId: row.id });
    await insertLog(tx, { checkpointId: row.id, level: "warn", message });
    return updated;
  });
  stopIngestInThisProcess(row.id, "cancelled");
  await notifyCheckpoint("checkpoint.failed", cancelled, db);
  return presentCheckpoint(cancelled, { files: [] });
}

export async function checkpointLogs(db: Db, scope: OrgScope & { ref: string }): Promise<CheckpointLogs> {
  const row = await resolveCheckpoint(db, scope);
  const items = await listLogs(db, { orgId: scope.orgId, checkpointId: row.id });
  return { items: items.map((item) => ({ ...item, at: item.at.toISOString() })) };
}

export async function checkpointFiles(db: Db, scope: OrgScope & { ref: string; prefix?: string }): Promise<CheckpointFileList> {
  const row = await resolveCheckpoint(db, { ...scope, allowPublic: true });
  const items = await listFiles(db, { checkpointId: row.id, prefix: scope.prefix });
  return { items, nextCursor: null, total: items.length };
}

/** The error for any attempt to change the content of a checkpoint that is not uploading. */
export function notWritable(row: Checkpoint): ApiError {
  const why =
    row.status === "ready"
      ? "it is ready, and a ready checkpoint's content is immutable. Create a new checkpoint instead."
      : `its status is '${row.status}'; files can only be added while it is 'uploading'.`;
  return new ApiError("conflict", `Checkpoint '${row.name}' cannot take files: ${why}`, { status: row.status });
}
