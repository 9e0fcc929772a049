import { readFileSync } from "node:fs";
import os from "node:os";
import type { Db } from "@/lib/db/client";
import { insertJobLogs, releaseAttachments, unfinishedJobs, updateJob } from "@/lib/db/queries/jobs";
import type { Job } from "@/lib/db/schema";
import { signalGroup } from "./local-runner";

export const RESTART_REASON = "the server restarted while the job was running";
export const RESTART_REASON_QUEUED = "the server restarted before the job started";

/** A server on another machine is taken for dead when it has not beaten for this long. */
const STALE_MS = 2 * 60 * 1000;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Whether the server process that owns a job (`host:pid:random`) is gone. */
export function ownerIsDead(job: Pick<Job, "status" | "runnerInstance" | "heartbeatAt" | "createdAt">, self: string, now = Date.now()): boolean {
  const owner = job.runnerInstance;
  if (!owner) return true;
  if (owner === self) return false;
  const [host, pidText] = owner.split(":");
  const pid = Number(pidText);
  if (host === os.hostname()) return pid === process.pid || !Number.isInteger(pid) || !processAlive(pid);
  // A queued job waits in the shared queue, where any live server can still claim it.
  if (job.status === "queued") return false;
  const lastSign = (job.heartbeatAt ?? job.createdAt).getTime();
  return now - lastSign > STALE_MS;
}

/** The job's process, if it outlived its server on this machine — checked by its CAIRN_JOB_ID, so a reused pid is spared. */
function killOrphan(job: Job): void {
  if (!job.pid || !job.runnerInstance?.startsWith(`${os.hostname()}:`)) return;
  try {
    const environ = readFileSync(`/proc/${job.pid}/environ`, "utf8");
    if (environ.split("\0").includes(`CAIRN_JOB_ID=${job.id}`)) signalGroup(job.pid, "SIGKILL");
  } catch {}
}

/**
 * Settles jobs a dead server left `queued` or `running`: they become `failed` with the reason, and
 * their checkpoints are released so they can be deleted again. Returns the jobs it failed.
 */
export async function recoverJobs(db: Db, { self, cleanup }: { self: string; cleanup?: (jobId: string) => Promise<void> }) {
  const failed: string[] = [];
  for (const job of await unfinishedJobs(db)) {
    if (!ownerIsDead(job, self)) continue;
    killOrphan(job);
    const reason = job.status === "running" ? RESTART_REASON : RESTART_REASON_QUEUED;
    const row = await updateJob(db, { id: job.id, onlyIf: [job.status] }, { status: "failed", message: reason, finishedAt: new Date(), pid: null });
    if (!row) continue;
    await releaseAttachments(db, { jobId: job.id });
    await insertJobLogs(db, [{ jobId: job.id, stream: "system", message: `Failed: ${reason}.`, at: new Date() }]);
    await cleanup?.(job.id).catch(() => {});
    failed.push(job.id);
  }
  return failed;
}
