import { setTimeout as sleep } from "node:timers/promises";
import { formatBytes } from "@/lib/cli/table";
import { CaptureScanner, type CaptureCandidate } from "./capture-scan";
import { CAPTURE_BACKOFF_MS, type CaptureOutcome, type CaptureUploader } from "./capture-upload";
import type { StateFile } from "./state";

type Failed = { candidate: CaptureCandidate; failedAt: number };

/**
 * The job's captures: scans the output directory, captures what is due one candidate at a time,
 * retries an error with backoff, and keeps what still fails for *Retry capture*. What is ready
 * is recorded in the state file, so another agent of the job does not capture it twice.
 */
export class CaptureQueue {
  private readonly scanner: CaptureScanner;
  private readonly failed = new Map<string, Failed>();
  private chain: Promise<void> = Promise.resolve();
  /** The newest key seen per output path: a failed capture that a newer one replaced counts for nothing. */
  private readonly latest = new Map<string, string>();

  constructor(
    outputDir: string,
    quietMs: number,
    private readonly uploader: CaptureUploader,
    private readonly state: StateFile,
    private readonly log: (message: string) => void,
  ) {
    this.scanner = new CaptureScanner(outputDir, quietMs);
  }

  /** One pass over the output directory; passes run one after another, a `final` one captures everything. */
  pass(final: boolean): Promise<void> {
    this.chain = this.chain.then(() => this.run(final)).catch((error) => this.log(`Output capture stopped working: ${String(error)}`));
    return this.chain;
  }

  /** Captures that failed and were not replaced, for *Retry capture*. */
  outstanding(): number {
    return [...this.failed.values()].filter((f) => this.latest.get(f.candidate.path) === f.candidate.key).length;
  }

  /** Tries every failed capture again (after *Retry capture*). */
  retry(): Promise<void> {
    this.chain = this.chain.then(async () => {
      const again = [...this.failed.values()];
      this.failed.clear();
      for (const { candidate } of again) {
        if (this.latest.get(candidate.path) === candidate.key) await this.capture(candidate, false);
      }
    });
    return this.chain;
  }

  private async run(final: boolean): Promise<void> {
    // A final pass leaves nothing behind: a file that changed under it is scanned and taken again.
    for (let round = 0; round < 5; round += 1) {
      const candidates = await this.scanner.scan({
        final,
        done: (path, key) => this.state.state.captured[path] === key || this.failed.has(key),
      });
      let changed = false;
      for (const candidate of candidates) {
        this.latest.set(candidate.path, candidate.key);
        if ((await this.capture(candidate, !final)) === "changed") changed = true;
      }
      if (!final || !changed) return;
    }
  }

  /** Captures one candidate; `changed` when its files moved under it (not captured, not failed). */
  private async capture(candidate: CaptureCandidate, whileRunning: boolean): Promise<"done" | "changed"> {
    const what = candidate.path === "." ? "the model in the output directory" : `'${candidate.path}'`;
    for (let attempt = 0; ; attempt += 1) {
      let outcome: CaptureOutcome;
      try {
        outcome = await this.uploader.capture(candidate);
      } catch (error) {
        outcome = { status: "failed", name: candidate.label, message: error instanceof Error ? error.message : String(error), refused: false };
      }
      if (outcome.status === "changed") return "changed";
      if (outcome.status === "ready") {
        const bytes = outcome.files.reduce((sum, f) => sum + f.size, 0);
        await this.state.update((s) => void (s.captured[candidate.path] = candidate.key));
        const reused = outcome.reused > 0 ? `; ${outcome.reused} already stored, not sent again` : "";
        this.log(`Captured ${what} as checkpoint '${outcome.name}' (${outcome.files.length} files, ${formatBytes(bytes)}${reused}).`);
        return "done";
      }
      if (outcome.refused) {
        this.log(outcome.message);
        break;
      }
      const wait = CAPTURE_BACKOFF_MS[attempt];
      if (wait === undefined || (whileRunning && attempt > 0)) {
        this.log(`${outcome.message} The files stay in the output directory; press Retry capture on the job page to try again.`);
        break;
      }
      this.log(`${outcome.message} Trying again in ${wait / 1000} s.`);
      await sleep(wait);
    }
    this.failed.set(candidate.key, { candidate, failedAt: Date.now() });
    return "done";
  }
}
