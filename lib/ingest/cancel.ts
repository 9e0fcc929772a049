import type { Db } from "@/lib/db/client";
import { ingestState } from "@/lib/db/queries/ingest";

/** How often a running ingest looks at its row for a cancel or delete made by any process. */
export const CANCEL_POLL_MS = 400;

export type StopReason = "cancelled" | "deleted" | "lost";

/** Why an ingest stopped before its end: its checkpoint was cancelled or deleted, or another worker took it over. */
export class IngestStoppedError extends Error {
  constructor(readonly reason: StopReason) {
    super(
      reason === "lost" ? "Another worker took over this ingest." : reason === "deleted" ? "The checkpoint was deleted." : "The ingest was cancelled.",
    );
    this.name = "IngestStoppedError";
  }
}

// Beside the app's other process-wide state on globalThis: a dev hot reload must still find them.
const globalForIngests = globalThis as unknown as { cairnRunningIngests?: Map<string, AbortController> };
const running = (globalForIngests.cairnRunningIngests ??= new Map<string, AbortController>());

/**
 * Stops the ingest of `checkpointId` if it runs in this process, at once. Ingests elsewhere (a
 * worker process, another replica) notice from the row within `CANCEL_POLL_MS`.
 */
export function stopIngestInThisProcess(checkpointId: string, reason: Exclude<StopReason, "lost">): void {
  const controller = running.get(checkpointId);
  if (controller && !controller.signal.aborted) controller.abort(new IngestStoppedError(reason));
}

/**
 * Watches one running ingest: registers it for `stopIngestInThisProcess` and polls its row, so a
 * cancel or delete from any process aborts `controller` within `CANCEL_POLL_MS` (plus a query).
 * The returned function stops watching.
 */
export function watchForStop(db: Db, lease: { checkpointId: string; token: string }, controller: AbortController): () => void {
  running.set(lease.checkpointId, controller);
  let checking = false;
  const timer = setInterval(() => {
    if (checking || controller.signal.aborted) return;
    checking = true;
    ingestState(db, lease)
      .then((row) => {
        if (controller.signal.aborted) return;
        if (!row || row.deletedAt) controller.abort(new IngestStoppedError("deleted"));
        else if (row.ingestToken !== lease.token) controller.abort(new IngestStoppedError(row.ingestToken === null ? "cancelled" : "lost"));
      })
      .catch(() => {})
      .finally(() => {
        checking = false;
      });
  }, CANCEL_POLL_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    if (running.get(lease.checkpointId) === controller) running.delete(lease.checkpointId);
  };
}

/** The reason an aborted signal carries, when it is a stop (cancel, delete, takeover). */
export function stopReason(signal: AbortSignal): StopReason | null {
  return signal.aborted && signal.reason instanceof IngestStoppedError ? signal.reason.reason : null;
}
