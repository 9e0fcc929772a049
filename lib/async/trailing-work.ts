/**
 * Work left running behind a sequential loop (flushing the blob just written while the next one
 * streams in), at most `limit` pieces at a time. `add` waits for the oldest piece when the window
 * is full and throws the first failure seen; `drain` waits for everything still running and
 * throws the first failure. Nothing is left unobserved, so no rejection goes unhandled.
 */
export class TrailingWork {
  private readonly running: Promise<void>[] = [];
  private failure: { error: unknown } | null = null;

  constructor(private readonly limit: number) {}

  async add(work: Promise<void>): Promise<void> {
    const tracked = work.catch((error: unknown) => {
      this.failure ??= { error };
    });
    this.running.push(tracked);
    while (this.running.length > this.limit) await this.running.shift();
    if (this.failure) throw this.failure.error;
  }

  async drain(): Promise<void> {
    while (this.running.length > 0) await this.running.shift();
    if (this.failure) throw this.failure.error;
  }
}

/**
 * Runs `loop` with a TrailingWork of `limit` and waits for everything it left running. When the
 * loop fails, the trailing work still settles before the failure is thrown (no flush or rename
 * after the caller's cleanup); otherwise its first failure is thrown.
 */
export async function withTrailingWork<T>(limit: number, loop: (trailing: TrailingWork) => Promise<T>): Promise<T> {
  const trailing = new TrailingWork(limit);
  let result: T;
  try {
    result = await loop(trailing);
  } catch (error) {
    await trailing.drain().catch(() => {});
    throw error;
  }
  await trailing.drain();
  return result;
}
