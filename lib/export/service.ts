import type { CreateExportBody, ExportListResponse, ExportResponse, ExportStartedResponse } from "@/lib/api/schemas/exports";
import { ApiError, notFound } from "@/lib/api/errors";
import type { Caller } from "@/lib/auth/caller";
import { resolveCheckpoint } from "@/lib/checkpoints/service";
import { resolveConnectionRow } from "@/lib/connections/service";
import type { Db } from "@/lib/db/client";
import { insertLog, lockCheckpoint } from "@/lib/db/queries/checkpoints";
import { countExports, failExport, insertExport, listExports, markExporting } from "@/lib/db/queries/exports";
import type { CheckpointExport } from "@/lib/db/schema";
import { enqueueExport } from "@/lib/queue/tasks";
import { assertComplete } from "./archive";
import { assertExportProvider } from "./destinations";

export function presentExport(row: CheckpointExport): ExportResponse {
  return {
    id: row.id,
    checkpointId: row.checkpointId,
    connection: row.connection,
    provider: row.provider,
    destinationPath: row.destinationPath,
    status: row.status,
    message: row.message,
    progress: { bytesDone: row.bytesDone, bytesTotal: row.bytesTotal, filesDone: row.filesDone, filesTotal: row.filesTotal },
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}

/**
 * Starts an export of a ready checkpoint to a storage connection: the row is queued and the
 * checkpoint marked `exporting` in one transaction, then the task goes on the queue.
 */
export async function startExport(db: Db, caller: Caller, ref: string, body: CreateExportBody): Promise<ExportStartedResponse> {
  const checkpoint = await resolveCheckpoint(db, { orgId: caller.orgId, ref });
  assertComplete(checkpoint, "exported");
  const connection = await resolveConnectionRow(db, { orgId: caller.orgId, ref: body.connection }).catch((error: unknown) => {
    if (error instanceof ApiError && error.code === "not_found") {
      throw new ApiError("validation_failed", `There is no connection named '${body.connection}'. Create it under Connections, or pick another.`, {
        fields: { connection: "not found" },
      });
    }
    throw error;
  });
  assertExportProvider(connection);
  const destinationPath = body.destinationPath.trim();
  const row = await db.transaction(async (tx) => {
    const locked = await lockCheckpoint(tx, { orgId: caller.orgId, id: checkpoint.id });
    if (!locked) throw notFound(`Checkpoint '${ref}'`);
    assertComplete(locked, "exported");
    const inserted = await insertExport(tx, {
      orgId: caller.orgId,
      checkpointId: checkpoint.id,
      connection: connection.name,
      connectionId: connection.id,
      provider: connection.provider,
      destinationPath,
      creatorUserId: caller.user.id,
    });
    await markExporting(tx, { orgId: caller.orgId, checkpointId: checkpoint.id });
    return inserted;
  });
  await insertLog(db, { checkpointId: checkpoint.id, message: `Export ${row.id.slice(0, 8)} to '${connection.name}' ${destinationPath} queued by ${caller.user.email}.` });
  try {
    await enqueueExport({ exportId: row.id, orgId: caller.orgId });
  } catch (error) {
    await failExport(db, { exportId: row.id, message: "The export could not be queued. Try again in a moment." });
    throw error;
  }
  return { id: row.id, status: row.status };
}

export async function checkpointExports(db: Db, { orgId, ref, limit }: { orgId: string; ref: string; limit: number }): Promise<ExportListResponse> {
  const checkpoint = await resolveCheckpoint(db, { orgId, ref });
  const rows = await listExports(db, { orgId, checkpointId: checkpoint.id, limit });
  return { items: rows.map(presentExport), nextCursor: null, total: await countExports(db, { orgId, checkpointId: checkpoint.id }) };
}
