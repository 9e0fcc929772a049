import cliProgress from "cli-progress";
import { formatBytes, formatRate } from "./table";

/**
 * Progress of a transfer of several files, on stderr: a bar when stderr is a terminal, otherwise
 * one plain line per finished file and per tenth of the bytes, so logs stay readable.
 */
export class TransferProgress {
  private readonly bar: cliProgress.SingleBar | null;
  private readonly started = performance.now();
  private bytes = 0;
  private files = 0;
  private lastTenth = 0;

  constructor(
    private readonly label: string,
    private readonly totalBytes: number,
    private readonly totalFiles: number,
    startBytes = 0,
  ) {
    this.bytes = startBytes;
    this.bar = process.stderr.isTTY
      ? new cliProgress.SingleBar(
          {
            stream: process.stderr,
            format: `${label} [{bar}] {percentage}% | {done} / {total_human} | {rate} | {files}/{total_files} files | ETA {eta_formatted}`,
            hideCursor: true,
            barsize: 24,
            etaBuffer: 50,
            fps: 5,
          },
          cliProgress.Presets.shades_classic,
        )
      : null;
    this.bar?.start(Math.max(1, totalBytes), startBytes, this.payload());
  }

  private payload() {
    const seconds = (performance.now() - this.started) / 1000;
    return {
      done: formatBytes(this.bytes),
      total_human: formatBytes(this.totalBytes),
      rate: seconds > 0 ? formatRate(this.bytes / seconds) : "-",
      files: this.files,
      total_files: this.totalFiles,
    };
  }

  add(bytes: number): void {
    this.bytes += bytes;
    if (this.bar) {
      this.bar.update(this.bytes, this.payload());
      return;
    }
    const tenth = this.totalBytes > 0 ? Math.floor((this.bytes / this.totalBytes) * 10) : 10;
    if (tenth > this.lastTenth && tenth < 10) {
      this.lastTenth = tenth;
      process.stderr.write(`${this.label}: ${tenth * 10}% (${formatBytes(this.bytes)} of ${formatBytes(this.totalBytes)})\n`);
    }
  }

  /** Rewinds bytes counted for a file that has to start over. */
  rewind(bytes: number): void {
    this.bytes = Math.max(0, this.bytes - bytes);
    this.bar?.update(this.bytes, this.payload());
  }

  fileDone(filePath: string, note = ""): void {
    this.files += 1;
    if (this.bar) this.bar.update(this.bytes, this.payload());
    else process.stderr.write(`${this.label}: ${filePath}${note ? ` ${note}` : ""} (${this.files}/${this.totalFiles})\n`);
  }

  /** Prints a line without tearing the bar. */
  log(message: string): void {
    // On a terminal, clear the bar's line first; it redraws on the next update.
    process.stderr.write(this.bar ? `\r\x1b[2K${message}\n` : `${message}\n`);
  }

  stop(): void {
    this.bar?.stop();
  }
}

/** Progress of a server-side task (ingest, export) polled from the API. */
export class TaskProgress {
  private readonly bar: cliProgress.SingleBar | null;
  private lastLine = "";

  constructor(private readonly label: string) {
    this.bar = process.stderr.isTTY
      ? new cliProgress.SingleBar(
          { stream: process.stderr, format: `${label} [{bar}] {percentage}% | {state} | {detail}`, hideCursor: true, barsize: 24, fps: 5 },
          cliProgress.Presets.shades_classic,
        )
      : null;
    this.bar?.start(1, 0, { state: "waiting", detail: "" });
  }

  update(state: string, bytesDone: number, bytesTotal: number | null, filesDone?: number, filesTotal?: number | null): void {
    const files = filesDone === undefined ? "" : ` | ${filesDone}${filesTotal ? `/${filesTotal}` : ""} files`;
    const detail = `${formatBytes(bytesDone)}${bytesTotal ? ` / ${formatBytes(bytesTotal)}` : ""}${files}`;
    if (this.bar) {
      this.bar.setTotal(Math.max(1, bytesTotal ?? Math.max(1, bytesDone)));
      this.bar.update(bytesDone, { state, detail });
      return;
    }
    const line = `${this.label}: ${state} ${detail}`;
    if (line !== this.lastLine) process.stderr.write(`${line}\n`);
    this.lastLine = line;
  }

  stop(): void {
    this.bar?.stop();
  }
}
