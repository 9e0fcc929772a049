import type { Db } from "@/lib/db/client";
import { reportIngest, type IngestProgress } from "@/lib/db/queries/ingest";
import { ProgressReporter } from "@/lib/tasks/progress-reporter";

/** Lost ownership of an ingest (another worker took it over after this one looked dead). */
export class IngestLostError extends Error {
  constructor() {
    super("Another worker took over this ingest.");
    this.name = "IngestLostError";
  }
}

/** Progress of one ingest: the checkpoint's counters and totals, under the ingest's lease. */
export class IngestReporter extends ProgressReporter<IngestProgress> {
  constructor(db: Db, lease: { checkpointId: string; token: string }) {
    super(db, lease.checkpointId, { write: (update) => reportIngest(db, lease, update), lostError: () => new IngestLostError() });
  }
}
