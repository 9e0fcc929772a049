import { Transform, type Readable } from "node:stream";
import { filePathProblem } from "@/lib/checkpoints/naming";
import { formatBytes } from "@/lib/format";
import { PermanentSourceError } from "@/lib/sources/types";

/** The caps one extraction enforces while it streams. */
export type ArchiveLimits = { maxEntries: number; maxTotalBytes: number; maxRatio: number };

const DEFAULT_MAX_ENTRIES = 100_000;
const MAX_RATIO = 200;

/**
 * Expansion allowed on top of `maxRatio ×` the compressed bytes, so small, very compressible
 * files (a padded config, an all-zero bias) are not mistaken for bombs; a bomb is caught once
 * it passes this.
 */
const RATIO_SLACK_BYTES = 1024 * 1024;

/** The limits for a checkpoint whose cap is `maxTotalBytes`; the entry cap comes from the environment. */
export function archiveLimits(maxTotalBytes: number): ArchiveLimits {
  const raw = process.env.CAIRN_MAX_ARCHIVE_ENTRIES;
  let maxEntries = DEFAULT_MAX_ENTRIES;
  if (raw !== undefined && raw !== "") {
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) {
      throw new Error(`CAIRN_MAX_ARCHIVE_ENTRIES must be a non-negative number, got "${raw}"`);
    }
    maxEntries = Math.floor(value);
  }
  return { maxEntries, maxTotalBytes, maxRatio: MAX_RATIO };
}

/** An entry name as it may appear in a message: bounded, without control characters. */
export function shown(entryPath: string): string {
  const clean = entryPath.replace(/[\u0000-\u001f\u007f]/g, "?");
  return `'${clean.length > 200 ? `${clean.slice(0, 200)}…` : clean}'`;
}

/** The failure for an archive that cannot be read as the format its name promises. */
export function damaged(archive: string, format: string, cause: unknown): PermanentSourceError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new PermanentSourceError(`The archive ${archive} is damaged or not a ${format} file: ${reason}`);
}

/** Entry count, expanded bytes and compression ratio of one extraction, checked as bytes flow. */
export class ArchiveBudget {
  entries = 0;
  bytes = 0;

  constructor(
    readonly archive: string,
    readonly limits: ArchiveLimits,
  ) {}

  /** Counts one entry of any type; `entryPath` names it if this one is over the cap. */
  addEntry(entryPath: string): void {
    this.entries += 1;
    if (this.entries > this.limits.maxEntries) {
      throw new PermanentSourceError(
        `The archive ${this.archive} has more than ${this.limits.maxEntries} entries (CAIRN_MAX_ARCHIVE_ENTRIES); it was refused at ${shown(entryPath)}.`,
      );
    }
  }

  /** The refusal for an archive whose expanded total passes the cap at `entryPath`. */
  tooLarge(entryPath: string): PermanentSourceError {
    return new PermanentSourceError(
      `The archive ${this.archive} expands to more than ${formatBytes(this.limits.maxTotalBytes)} at ${shown(entryPath)}, over the checkpoint size limit (CAIRN_MAX_CHECKPOINT_BYTES).`,
    );
  }

  /** Adds expanded bytes of `entryPath`, refusing once the total passes the cap. */
  addBytes(entryPath: string, n: number): void {
    this.bytes += n;
    if (this.bytes > this.limits.maxTotalBytes) throw this.tooLarge(entryPath);
  }

  /** Whether `expanded` bytes out of `compressed` bytes in stay within the ratio cap. */
  ratioAllows(expanded: number, compressed: number): boolean {
    return expanded <= this.limits.maxRatio * compressed + RATIO_SLACK_BYTES;
  }

  /** The refusal for a decompression bomb, caught at `entryPath`. */
  tooCompressed(entryPath: string): PermanentSourceError {
    return new PermanentSourceError(
      `${shown(entryPath)} in the archive ${this.archive} expands more than ${this.limits.maxRatio}× its compressed size; it was refused as a likely decompression bomb.`,
    );
  }
}

/**
 * The rule for paths inside a checkpoint, applied to archive entries: a leading `./` is dropped,
 * anything else that is not a plain relative path is refused, and so is a path seen before or one
 * that is both a file and a folder (a checkpoint is mounted as a directory tree).
 */
export class EntryPaths {
  private readonly files = new Set<string>();
  private readonly folders = new Set<string>();

  constructor(private readonly archive: string) {}

  /** The checkpoint path for the archive entry `raw`; throws a PermanentSourceError naming it. */
  accept(raw: string): string {
    let entryPath = raw;
    while (entryPath.startsWith("./")) entryPath = entryPath.slice(2);
    const problem = filePathProblem(entryPath);
    if (problem) {
      const quoted = `'${entryPath}' `;
      const why = problem.startsWith(quoted) ? `, which ${problem.slice(quoted.length)}` : `: ${problem}`;
      throw new PermanentSourceError(`The archive ${this.archive} has an entry with an unsafe path, ${shown(raw)}${why}`);
    }
    if (this.files.has(entryPath)) {
      throw new PermanentSourceError(`The archive ${this.archive} holds ${shown(entryPath)} twice; a checkpoint holds each path once.`);
    }
    const segments = entryPath.split("/");
    const parents = segments.slice(0, -1).map((_, i) => segments.slice(0, i + 1).join("/"));
    if (this.folders.has(entryPath) || parents.some((parent) => this.files.has(parent))) {
      throw new PermanentSourceError(`The archive ${this.archive} has ${shown(entryPath)} both as a file and as a folder.`);
    }
    for (const parent of parents) this.folders.add(parent);
    this.files.add(entryPath);
    return entryPath;
  }
}

/**
 * The first error of an extraction. Every part checks it, so whichever part fails first decides
 * the message, and everything else stops: its signal aborts the streams in flight.
 */
export class Failure {
  private readonly controller = new AbortController();
  private error: unknown = undefined;
  /** Resolves (never rejects) when the extraction fails, to race waits against. */
  readonly happened: Promise<void>;

  constructor() {
    this.happened = new Promise((resolve) => this.controller.signal.addEventListener("abort", () => resolve(), { once: true }));
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get failed(): boolean {
    return this.controller.signal.aborted;
  }

  /** Records `error` unless an earlier one was recorded. */
  fail(error: unknown): void {
    if (this.failed) return;
    this.error = error;
    this.controller.abort(error);
  }

  throwIfFailed(): void {
    if (this.failed) throw this.error;
  }

  /** Waits for `promise` or for the failure, whichever comes first, then throws if failed. */
  async race(promise: Promise<unknown>): Promise<void> {
    await Promise.race([promise, this.happened]);
    this.throwIfFailed();
  }
}

/**
 * The stream handed to `onEntry`: it passes an entry's bytes through and calls `check` on each
 * chunk (and `finish` at the end), so a limit stops the entry on the chunk that passes it.
 */
export function meteredEntry(
  failure: Failure,
  check: (chunk: Buffer) => void,
  finish: () => void = () => {},
): Transform {
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      try {
        check(chunk);
        done(null, chunk);
      } catch (error) {
        failure.fail(error);
        done(error as Error);
      }
    },
    flush(done) {
      try {
        finish();
        done();
      } catch (error) {
        failure.fail(error);
        done(error as Error);
      }
    },
  });
  // The consumer may not listen for errors yet when a limit destroys the stream; the failure
  // carries the error, so an unheard one must not crash the process.
  meter.on("error", () => {});
  return meter;
}

export type OnEntry = (path: string, stream: Readable, size: number | null) => Promise<void>;

/** One extraction's state, shared by the format readers. */
export type Extraction = {
  archive: string;
  /** The format as a person names it in a message: "zip", "tar.gz"… */
  format: string;
  budget: ArchiveBudget;
  paths: EntryPaths;
  failure: Failure;
  onEntry: OnEntry;
};

/** Hands one entry to `onEntry` and waits until it is stored; on failure its stream is destroyed. */
export async function emitEntry(
  failure: Failure,
  onEntry: OnEntry,
  entryPath: string,
  meter: Transform,
  size: number | null,
): Promise<void> {
  if (!failure.failed) {
    const stop = () => meter.destroy(failure.signal.reason instanceof Error ? failure.signal.reason : undefined);
    failure.signal.addEventListener("abort", stop, { once: true });
    try {
      await onEntry(entryPath, meter, size);
    } catch (error) {
      failure.fail(error);
    } finally {
      failure.signal.removeEventListener("abort", stop);
    }
    // A consumer that stops early would otherwise stall the archive behind it forever.
    if (!meter.readableEnded) failure.fail(new Error(`onEntry returned before reading all of ${shown(entryPath)}`));
  }
  if (failure.failed) {
    meter.destroy();
    failure.throwIfFailed();
  }
}
