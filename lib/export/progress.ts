import type { Db } from "@/lib/db/client";
import { insertLog } from "@/lib/db/queries/checkpoints";
import { reportExport } from "@/lib/db/queries/exports";

/** This worker no longer holds the export (it was failed by recovery after looking dead). */
export class ExportLostError extends Error {
  constructor() {
    super("The export was taken over or ended by another worker.");
    this.name = "ExportLostError";
  }
}

/**
 * Progress of one export, written at most once a second — which doubles as the heartbeat that
 * tells the recovery sweep the export is alive. Log lines go to the checkpoint's log.
 */
export class ExportReporter {
  bytesDone = 0;
  filesDone = 0;
  private lastFlush = 0;
  private flushing: Promise<void> | null = null;
  lost = false;

  constructor(
    private readonly db: Db,
    private readonly lease: { exportId: string; token: string; checkpointId: string },
  ) {}

  async log(message: string, level: "info" | "warn" | "error" = "info"): Promise<void> {
    await insertLog(this.db, { checkpointId: this.lease.checkpointId, level, message });
  }

  addBytes(n: number): void {
    this.bytesDone += n;
    this.maybeFlush();
  }

  fileDone(): void {
    this.filesDone += 1;
    this.maybeFlush();
  }

  private maybeFlush(): void {
    if (Date.now() - this.lastFlush < 1000 || this.flushing) return;
    this.flushing = this.flush()
      .catch(() => {})
      .finally(() => {
        this.flushing = null;
      });
  }

  /** Writes the counters; throws ExportLostError when the lease is gone. */
  async flush(): Promise<void> {
    this.lastFlush = Date.now();
    const held = await reportExport(this.db, this.lease, { bytesDone: this.bytesDone, filesDone: this.filesDone });
    if (!held) {
      this.lost = true;
      throw new ExportLostError();
    }
  }
}
