import "server-only";
import { finished, Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { PermanentSourceError, SourceError } from "../types";

/*
 * Retries and resumption for downloads (HTTP and FTP): exponential backoff that honours
 * Retry-After, and a Readable that continues a broken transfer where it stopped.
 */

/** How hard to try: attempts per request (and failed resumes in a row), backoff, idle timeout. */
export type RetryPolicy = { attempts: number; baseDelayMs: number; maxDelayMs: number; timeoutMs: number };

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 500, maxDelayMs: 30_000, timeoutMs: 60_000 };

export function retryPolicy(overrides?: Partial<RetryPolicy>): RetryPolicy {
  return { ...DEFAULT_RETRY, ...overrides };
}

/**
 * A retryable failure, carrying the server's Retry-After when it gave one: `throttled` when the
 * server asked to slow down (429, or any Retry-After), `unavailable` otherwise.
 */
export class TransientError extends SourceError {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    options?: ErrorOptions & { reason?: "throttled" | "unavailable" },
  ) {
    super(message, options?.reason ?? (retryAfterMs === undefined ? "unavailable" : "throttled"), options);
    this.name = "TransientError";
  }
}

/** A broken download the server will not continue where it stopped: not retried here, the whole file must start over. */
export class NotResumableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotResumableError";
  }
}

/** Runs `attempt` until it succeeds, fails permanently, is aborted, or `policy.attempts` is reached (exponential backoff, honouring Retry-After). */
export async function withRetry<T>(policy: RetryPolicy, signal: AbortSignal | undefined, attempt: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isRetryable(error, signal)) throw error;
      if (n >= policy.attempts) throw exhausted(error, n);
      await sleep(delayFor(n, policy, error), undefined, { signal });
    }
  }
}

function isRetryable(error: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted || error instanceof PermanentSourceError || error instanceof NotResumableError) return false;
  return !(error instanceof Error && error.name === "AbortError");
}

function exhausted(error: unknown, attempts: number): Error {
  const message = error instanceof Error ? error.message : String(error);
  return new Error(`${message} Gave up after ${attempts} attempts.`, { cause: error });
}

function delayFor(failures: number, policy: RetryPolicy, error: unknown): number {
  const backoff = policy.baseDelayMs * 2 ** (failures - 1) * (0.5 + Math.random() / 2);
  const asked = error instanceof TransientError ? (error.retryAfterMs ?? 0) : 0;
  return Math.min(policy.maxDelayMs, Math.max(backoff, asked));
}

/** One try at a download: its body, and (FTP) the server's verdict, which may arrive after the body ends. */
export type Attempt = { body: Readable; done?: Promise<unknown> };

export type ResumeOptions = {
  first: Attempt;
  /** Starts a new attempt at this many bytes into the download. */
  openAt(offset: number): Promise<Attempt>;
  expected: number | null;
  policy: RetryPolicy;
  signal?: AbortSignal;
  what: string;
};

/**
 * A Readable over attempts: when one breaks (or ends short of `expected`), the next starts where it
 * stopped, until `policy.attempts` failures in a row without a byte of progress. Backpressure goes
 * through to the socket.
 */
export function resumableStream(options: ResumeOptions): Readable {
  return new ResumingStream(options);
}

class ResumingStream extends Readable {
  private current: Attempt | undefined;
  private received = 0;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly onAbort = () => this.destroy(new DOMException("The download was aborted.", "AbortError"));

  constructor(private readonly options: ResumeOptions) {
    // Object mode hands each network chunk on as it is (no concatenating read()); 16 chunks
    // (~1 MiB) buffered keep the socket flowing without pausing it on every chunk.
    super({ objectMode: true, highWaterMark: 16 });
    if (options.signal?.aborted) process.nextTick(this.onAbort);
    options.signal?.addEventListener("abort", this.onAbort, { once: true });
    this.attach(options.first);
  }

  _read(): void {
    this.current?.body.resume();
  }

  _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.timer);
    this.current?.body.destroy();
    this.options.signal?.removeEventListener("abort", this.onAbort);
    callback(error);
  }

  private attach(attempt: Attempt): void {
    this.current = attempt;
    // Judged once the body ends; never left as an unhandled rejection.
    attempt.done?.catch(() => undefined);
    attempt.body.on("data", (chunk: Buffer) => {
      this.received += chunk.length;
      this.failures = 0;
      if (!this.push(chunk)) attempt.body.pause();
    });
    finished(attempt.body, (error) => {
      if (this.current !== attempt || this.destroyed) return;
      if (error) return this.fail(error);
      Promise.resolve(attempt.done).then(
        () => this.complete(),
        (failure: unknown) => this.fail(failure),
      );
    });
  }

  private complete(): void {
    const { expected, what } = this.options;
    if (expected !== null && this.received < expected) {
      return this.fail(new TransientError(`${what}: the connection closed after ${this.received} of ${expected} bytes.`));
    }
    if (expected !== null && this.received > expected) return void this.destroy(new Error(`${what} sent more bytes than it announced.`));
    this.current = undefined;
    this.push(null);
  }

  private fail(error: unknown): void {
    this.current?.body.destroy();
    this.current = undefined;
    if (this.destroyed) return;
    const { policy, signal, openAt } = this.options;
    if (!isRetryable(error, signal)) return void this.destroy(error instanceof Error ? error : new Error(String(error)));
    this.failures += 1;
    if (this.failures >= policy.attempts) return void this.destroy(exhausted(error, this.failures));
    this.timer = setTimeout(() => {
      openAt(this.received).then(
        (attempt) => (this.destroyed ? attempt.body.destroy() : this.attach(attempt)),
        (failure: unknown) => this.fail(failure),
      );
    }, delayFor(this.failures, policy, error));
  }
}
