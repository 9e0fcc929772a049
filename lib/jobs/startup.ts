import "server-only";
import { localQueue } from "./scheduler";
import { JobSupervisor } from "./supervisor";

const globalForJobs = globalThis as unknown as { cairnJobSupervisor?: JobSupervisor };

/** This process's supervisor (it supervises only while it holds the lease). */
export function jobSupervisor(): JobSupervisor {
  globalForJobs.cairnJobSupervisor ??= new JobSupervisor();
  return globalForJobs.cairnJobSupervisor;
}

/**
 * On server start: running jobs are left alone — their agents outlive the server and are heard
 * again by their heartbeats; queued jobs start when a slot is free; supervision runs here when
 * this process holds its lease.
 */
export function startJobRunner(): void {
  const queue = localQueue();
  if (queue) {
    queue.startPolling();
    void queue.kick();
  }
  jobSupervisor().start();
}
