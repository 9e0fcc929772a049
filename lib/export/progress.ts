import type { Db } from "@/lib/db/client";
import { reportExport } from "@/lib/db/queries/exports";
import { ProgressReporter } from "@/lib/tasks/progress-reporter";

/** This worker no longer holds the export (it was failed by recovery after looking dead). */
export class ExportLostError extends Error {
  constructor() {
    super("The export was taken over or ended by another worker.");
    this.name = "ExportLostError";
  }
}

/** Progress of one export: its counters under the export's lease; log lines go to the checkpoint's log. */
export class ExportReporter extends ProgressReporter {
  constructor(db: Db, lease: { exportId: string; token: string; checkpointId: string }) {
    super(db, lease.checkpointId, {
      write: (update) => reportExport(db, lease, { bytesDone: update.bytesDone, filesDone: update.filesDone }),
      lostError: () => new ExportLostError(),
    });
  }
}
