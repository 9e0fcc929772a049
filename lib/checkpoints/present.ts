import { stringify } from "yaml";
import type { CheckpointFileResponse, CheckpointResponse } from "@/lib/api/schemas/checkpoints";
import type { Checkpoint } from "@/lib/db/schema";
import { modelFacts } from "@/lib/model-facts/kinds";
import { formatBytes } from "@/lib/format";
import { getBlobStore } from "@/lib/storage";

export type UsedBy = { jobId: string; jobName: string; status: string }[];

/** The checkpoint object — what the API returns and `inspect` shows. */
export function presentCheckpoint(
  row: Checkpoint,
  extra: { files?: CheckpointFileResponse[]; usedBy?: UsedBy; producedByName?: string | null } = {},
): CheckpointResponse {
  return {
    kind: "Checkpoint",
    metadata: {
      id: row.id,
      name: row.name,
      creatorUserID: row.creatorUserId,
      ownerOrgID: row.orgId,
      visibility: row.visibility,
      pinned: row.pinned,
    },
    spec: {
      sourceType: row.sourceType,
      sourceUri: row.sourceUri,
      storageProvider: row.connection,
      sourceOptions: row.sourceOptions,
      fromLocalFiles: row.fromLocalFiles,
      producedBy: row.producedByJobId ? { jobId: row.producedByJobId, jobName: extra.producedByName ?? null } : null,
      derivedFrom: row.derivedFromId,
    },
    status: {
      status: row.status,
      message: row.message,
      progress: {
        bytesDone: row.bytesDone,
        bytesTotal: row.bytesTotal,
        filesDone: row.filesDone,
        filesTotal: row.filesTotal,
      },
      size: row.size,
      fileCount: row.fileCount,
      ...(extra.files ? { files: extra.files } : {}),
      usedBy: extra.usedBy ?? [],
      storageProviderID: getBlobStore().id,
      step: row.step,
      // Parsed back into the API's key order (jsonb keeps its own); facts of an older shape read as not yet read.
      model: row.model ? (modelFacts.safeParse(row.model).data ?? null) : null,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
      readyAt: row.readyAt?.toISOString() ?? null,
    },
  };
}

/** The same object as YAML with human sizes, like the reference `checkpoint inspect`. */
export function checkpointYaml(checkpoint: CheckpointResponse): string {
  const { status } = checkpoint;
  const human = {
    ...checkpoint,
    status: {
      ...status,
      size: formatBytes(status.size),
      files: status.files?.map((f) => ({ ...f, size: formatBytes(f.size) })),
    },
  };
  return stringify(human, { lineWidth: 0 });
}
