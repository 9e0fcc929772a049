import { getDb } from "@/lib/db/client";
import { recoverJobs } from "./recovery";
import { jobScheduler } from "./scheduler";

/** On server start: fail what a dead server left queued or running, then start queued jobs. */
export async function startJobRunner(): Promise<void> {
  const scheduler = jobScheduler();
  scheduler.runner.warm?.();
  const failed = await recoverJobs(await getDb(), { self: scheduler.instance, cleanup: (jobId) => scheduler.runner.cleanup(jobId) });
  if (failed.length > 0) console.warn(`jobs: marked ${failed.length} job(s) failed that a previous server left unfinished`);
  scheduler.startPolling();
  await scheduler.kick();
}
