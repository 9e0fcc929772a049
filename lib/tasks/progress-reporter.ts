import type { Db } from "@/lib/db/client";
import { insertLog } from "@/lib/db/queries/checkpoints";

type Counters = { bytesDone: number; filesDone: number };

/**
 * Progress of one background task on a checkpoint (an ingest, an export): byte and file counters
 * written at most once a second through `write` — which doubles as the heartbeat that tells the
 * other workers and the recovery sweep the task is alive — and log lines on the checkpoint.
 * `write` answers false once this worker no longer holds the task's lease; from then on `lost`
 * is true and `flush` throws what `lostError` makes.
 */
export class ProgressReporter<Extra extends object = Record<never, never>> {
  bytesDone = 0;
  filesDone = 0;
  lost = false;
  private pending: Partial<Extra> = {};
  private lastFlush = 0;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly checkpointId: string,
    private readonly task: { write(update: Partial<Extra> & Counters): Promise<boolean>; lostError(): Error },
  ) {}

  async log(message: string, level: "info" | "warn" | "error" = "info"): Promise<void> {
    await insertLog(this.db, { checkpointId: this.checkpointId, level, message });
  }

  /** Other fields for the next write (totals once a listing knows them, say). */
  set(extra: Partial<Extra>): void {
    Object.assign(this.pending, extra);
  }

  addBytes(n: number): void {
    this.bytesDone += n;
    this.maybeFlush();
  }

  fileDone(): void {
    this.filesDone += 1;
    this.maybeFlush();
  }

  /** A write in the background; a lost lease shows in `lost` and in the next explicit flush. */
  private maybeFlush(): void {
    if (Date.now() - this.lastFlush < 1000 || this.flushing) return;
    this.flushing = this.flush()
      .catch(() => {})
      .finally(() => {
        this.flushing = null;
      });
  }

  /** Resolves once no background write is in flight, so a final write after it cannot be overtaken. */
  async settled(): Promise<void> {
    await this.flushing;
  }

  /** Writes the counters and whatever was `set`; throws `lostError()` when the lease is gone. */
  async flush(): Promise<void> {
    this.lastFlush = Date.now();
    const update = { ...this.pending, bytesDone: this.bytesDone, filesDone: this.filesDone };
    this.pending = {};
    if (!(await this.task.write(update))) {
      this.lost = true;
      throw this.task.lostError();
    }
  }
}
