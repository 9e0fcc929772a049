import type { Db } from "@/lib/db/client";
import { insertJobLogs } from "@/lib/db/queries/jobs";
import type { LogStream } from "./kinds";

const FLUSH_MS = 250;
const MAX_BATCH = 500;
/** A job that prints forever must not fill the database: past this many lines, output is dropped. */
export const MAX_JOB_LOG_LINES = 100_000;

/** Collects a job's output lines and writes them in batches, in order, so a chatty job costs few inserts. */
export class JobLogWriter {
  private buffer: { jobId: string; stream: LogStream; message: string; at: Date }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: () => Promise<Db>,
    private readonly jobId: string,
  ) {}

  private lines = 0;

  line(stream: LogStream, message: string): void {
    this.lines += 1;
    if (this.lines > MAX_JOB_LOG_LINES && stream !== "system") {
      if (this.lines - 1 === MAX_JOB_LOG_LINES) this.line("system", `The job printed more than ${MAX_JOB_LOG_LINES} lines; further output is not stored.`);
      return;
    }
    this.buffer.push({ jobId: this.jobId, stream, message: message.replace(/\0/g, ""), at: new Date() });
    if (this.buffer.length >= MAX_BATCH) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** Writes what is buffered; resolves once every earlier line is stored. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.buffer;
    this.buffer = [];
    if (batch.length > 0) {
      this.chain = this.chain
        .then(async () => insertJobLogs(await this.db(), batch))
        .catch((error) => console.error(`job ${this.jobId}: could not store ${batch.length} log lines`, error));
    }
    return this.chain;
  }
}
