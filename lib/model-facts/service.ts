import "server-only";
import type { Db } from "@/lib/db/client";
import { findCheckpoint } from "@/lib/db/queries/checkpoints";
import { listFiles } from "@/lib/db/queries/files";
import { setModelFacts } from "@/lib/db/queries/model-facts";
import { getBlobStore } from "@/lib/storage";
import { blobSource } from "./blob-source";
import { readModelFacts } from "./facts";
import type { ModelFacts } from "./kinds";

/**
 * Reads and stores the model facts of a ready checkpoint (`status.model`). Idempotent: a second
 * run reads the same headers and writes the same facts. A checkpoint gone or not complete is skipped.
 */
export async function refreshModelFacts(db: Db, { orgId, checkpointId }: { orgId: string; checkpointId: string }): Promise<ModelFacts | null> {
  const row = await findCheckpoint(db, { orgId, id: checkpointId });
  if (!row || (row.status !== "ready" && row.status !== "exporting")) return null;
  const store = getBlobStore();
  const files = await listFiles(db, { checkpointId });
  const facts = await readModelFacts(
    files.map((f) => ({ path: f.path, size: f.size, open: () => blobSource(store, f) })),
    { step: row.step },
  );
  await setModelFacts(db, { checkpointId, facts });
  return facts;
}
