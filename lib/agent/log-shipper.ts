import { appendFileSync, closeSync, openSync, readSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { AgentApi } from "./api";
import type { PendingBatch, StateFile } from "./state";

export const LOG_FILES = { stdout: "stdout.log", stderr: "stderr.log", system: "system.log" } as const;
type Stream = keyof typeof LOG_FILES;

/** Longer lines are split into pieces of this many bytes (every byte is kept). */
const MAX_LINE_BYTES = 16_384;
const MAX_BATCH_LINES = 1000;
/** Read at most this much of a file per pass, so a burst of output costs bounded memory. */
const READ_BYTES = 1 << 20;
const POLL_MS = 100;

/**
 * Ships the command's output to the server. The command writes straight into files in the
 * state directory (nothing it prints depends on the agent being alive), which are also the spool:
 * the shipper reads what is new, numbers the lines, records the batch before sending it and the
 * new offsets once it is stored. A batch whose answer was lost is sent again under the same
 * numbers and stored once, so no line is dropped or stored twice, across restarts too.
 */
export class LogShipper {
  private stopped = false;
  private running: Promise<void> | null = null;

  constructor(
    private readonly stateDir: string,
    private readonly state: StateFile,
    private readonly api: AgentApi,
  ) {}

  /** A line of the agent's own (`system`), in order with the command's. */
  system(message: string): void {
    appendFileSync(path.join(this.stateDir, LOG_FILES.system), `${message.replace(/\n/g, " ")}\n`);
  }

  /** Ships in the background until `drain`; may be started again after a drain. */
  start(): void {
    if (this.running && !this.stopped) return;
    this.stopped = false;
    this.running = this.loop();
  }

  /** Sends everything written so far, the last partial lines too; resolves once all is stored. */
  async drain(): Promise<void> {
    this.stopped = true;
    await this.running;
    for (;;) {
      const batch = this.state.state.pending ?? this.read(true);
      if (!batch) return;
      await this.ship(batch);
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const batch = this.state.state.pending ?? this.read(false);
      if (batch) await this.ship(batch);
      else await sleep(POLL_MS);
    }
  }

  private async ship(batch: PendingBatch): Promise<void> {
    if (this.state.state.pending !== batch) await this.state.update((s) => void (s.pending = batch));
    await this.api.post("/logs", { seq: batch.seq, lines: batch.lines }, { retry: true });
    await this.state.update((s) => {
      s.offsets = { ...s.offsets, ...batch.offsets };
      s.seq = batch.seq + batch.lines.length;
      s.pending = null;
    });
  }

  /** The next batch of complete lines (all lines when `final`), or null when nothing is new. */
  private read(final: boolean): PendingBatch | null {
    const { offsets, seq } = this.state.state;
    const lines: PendingBatch["lines"] = [];
    const next: Record<string, number> = {};
    for (const stream of Object.keys(LOG_FILES) as Stream[]) {
      const file = LOG_FILES[stream];
      const start = offsets[file] ?? 0;
      const chunk = readAt(path.join(this.stateDir, file), start, READ_BYTES);
      if (!chunk || chunk.length === 0) continue;
      let position = 0;
      const at = new Date().toISOString();
      while (position < chunk.length && lines.length < MAX_BATCH_LINES) {
        const newline = chunk.indexOf(10, position);
        const end = newline === -1 ? chunk.length : newline;
        if (end - position >= MAX_LINE_BYTES) {
          lines.push({ stream, message: chunk.toString("utf8", position, position + MAX_LINE_BYTES), at });
          position += MAX_LINE_BYTES;
          continue;
        }
        if (newline === -1 && !(final && chunk.length < READ_BYTES)) break;
        lines.push({ stream, message: chunk.toString("utf8", position, end).replace(/\r$/, ""), at });
        position = newline === -1 ? chunk.length : newline + 1;
      }
      if (position > 0) next[file] = start + position;
    }
    if (lines.length === 0) return null;
    return { seq, lines, offsets: next };
  }
}

/** Up to `length` bytes of a file from `position`; null when the file does not exist yet. */
function readAt(file: string, position: number, length: number): Buffer | null {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch {
    return null;
  }
  try {
    const buffer = Buffer.allocUnsafe(length);
    const n = readSync(fd, buffer, 0, length, position);
    return buffer.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}
