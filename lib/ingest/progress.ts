import type { Db } from "@/lib/db/client";
import { insertLog } from "@/lib/db/queries/checkpoints";
import { reportIngest, type IngestProgress } from "@/lib/db/queries/ingest";

/** Lost ownership of an ingest (another worker took it over after this one looked dead). */
export class IngestLostError extends Error {
  constructor() {
    super("Another worker took over this ingest.");
    this.name = "IngestLostError";
  }
}

/**
 * Progress of one ingest, written at most once a second — which doubles as the heartbeat that
 * tells other workers this ingest is alive.
 */
export class IngestReporter {
  bytesDone = 0;
  filesDone = 0;
  private pending: IngestProgress = {};
  private lastFlush = 0;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly lease: { checkpointId: string; token: string },
  ) {}

  async log(message: string, level: "info" | "warn" | "error" = "info"): Promise<void> {
    await insertLog(this.db, { checkpointId: this.lease.checkpointId, level, message });
  }

  set(progress: IngestProgress): void {
    Object.assign(this.pending, progress);
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
    this.flushing = this.flush().finally(() => {
      this.flushing = null;
    });
    this.flushing.catch(() => {});
  }

  /** Writes what changed; throws IngestLostError when this worker no longer owns the ingest. */
  async flush(): Promise<void> {
    this.lastFlush = Date.now();
    const update = { ...this.pending, bytesDone: this.bytesDone, filesDone: this.filesDone };
    this.pending = {};
    if (!(await reportIngest(this.db, this.lease, update))) throw new IngestLostError();
  }
}
