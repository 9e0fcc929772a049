import { setTimeout as sleep } from "node:timers/promises";
import { PermanentSourceError } from "./types";

/*
 * How a read from a source is tried again, shared by the ranged reads (ranged-stream.ts) and
 * whole-object reads (resumable-read.ts). Pure: the CLI's fetch uses them too.
 */

/** Tries per object read (and per range): each after the source's own SDK retries, if it has them. */
export const READ_ATTEMPTS = 3;

/** The pause before try `n + 1` of a read: 0.4 s, 0.8 s, 1.6 s… */
export const retryDelayMs = (n: number) => 200 * 2 ** n;

/** A server that answers more than a range asked for ignores ranges: not worth a retry. */
export function rangeTooLong(expected: number): PermanentSourceError {
  return new PermanentSourceError(`The server sent more than the ${expected} bytes asked for; it does not support ranged reads.`);
}

/** Runs `attempt` up to `attempts` times with backoff; what a retry cannot fix (PermanentSourceError, an abort) fails at once. */
export async function withReadRetries(attempts: number, signal: AbortSignal, attempt: () => Promise<void>): Promise<void> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (error instanceof PermanentSourceError || signal.aborted || n >= attempts) throw error;
      await sleep(retryDelayMs(n), undefined, { signal });
    }
  }
}
