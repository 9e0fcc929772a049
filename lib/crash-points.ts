/**
 * A place a test may stop this process at, to prove a multi-step operation survives a crash
 * between its steps: with `CAIRN_PAUSE_AT=<name>` the process prints `paused at <name>` and waits
 * there for good, so the test can SIGKILL it at exactly that point. Without the variable it returns
 * at once; nothing else reads it.
 */
export async function pausePoint(name: string): Promise<void> {
  if (process.env.CAIRN_PAUSE_AT !== name) return;
  process.stdout.write(`paused at ${name}\n`);
  await new Promise<never>(() => {});
}
