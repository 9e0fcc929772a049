import { randomBytes } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { config } from "@/lib/config";
import { decryptSecret } from "@/lib/connections/crypto";
import { getDb, type Db } from "@/lib/db/client";
import { attachmentsOf, claimQueuedJob, filesOfCheckpoints, findJobById, heartbeat, releaseAttachments, updateJob } from "@/lib/db/queries/jobs";
import type { Job } from "@/lib/db/schema";
import { getBlobStore } from "@/lib/storage";
import { OutputCapture } from "./capture";
import { LocalJobRunner } from "./local-runner";
import type { MountInput } from "./mounts";
import { JobLogWriter } from "./log-writer";
import type { JobExit, JobRunner } from "./runner";

const TICK_MS = 1000;
const HEARTBEAT_EVERY = 10;

export const envContext = (orgId: string, jobId: string) => `job-env:${orgId}:${jobId}`;

type Running = { job: Job; logs: JobLogWriter; capture: OutputCapture | null; stopping: boolean };

/** A runner slot held for a job being created or claimed on this server (see `reserveSlot`). */
export type SlotReservation = { release(): void };

/**
 * Runs queued jobs on this server, at most `CAIRN_MAX_RUNNING_JOBS` at a time: claims them from the
 * database (so several servers can share one queue), starts them through the runner, streams
 * their output to the job log, captures outputs while they run and settles them when they end.
 */
export class JobScheduler {
  /** `host:pid:random` — the restart check tells a dead server from a live one by it. */
  readonly instance = `${os.hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
  readonly runner: JobRunner;
  private readonly running = new Map<string, Running>();
  private pumping: Promise<void> | null = null;
  private wanted = false;
  private ticker: NodeJS.Timeout | null = null;
  private ticks = 0;
  /** Slots held by jobs being created or claimed here, not yet in `running`. */
  private reserved = 0;

  constructor(runner?: JobRunner) {
    this.runner =
      runner ??
      new LocalJobRunner({
        root: () => path.join(config().dataDir, "jobs"),
        cacheDir: () => path.join(config().dataDir, "job-cache"),
        store: getBlobStore,
        identity: () => {
          const { jobUid, jobGid } = config();
          return jobUid === null || jobUid === 0 ? null : { uid: jobUid, gid: jobGid ?? jobUid };
        },
      });
  }

  /** Starts whatever queued jobs fit now. Cheap to call often. */
  kick(): Promise<void> {
    this.wanted = true;
    // A kick during a pass asks for another pass, so a job queued just after a claim found none still starts.
    this.pumping ??= (async () => {
      try {
        while (this.wanted) {
          this.wanted = false;
          await this.pump();
        }
      } catch (error) {
        console.error("job scheduler could not start queued jobs", error);
      } finally {
        this.pumping = null;
      }
    })();
    return this.pumping;
  }

  /**
   * A free runner slot, or null when all are taken. A job's creating transaction that gets one
   * writes the job as running here and hands it to `launchCreated` with the checkpoints it read: a
   * launch without a claim round or a second read of the manifests. A claim from the queue holds
   * one while it is in flight, so the limit holds whichever commits first.
   */
  reserveSlot(): SlotReservation | null {
    if (this.running.size + this.reserved >= config().maxRunningJobs) return null;
    this.reserved += 1;
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.reserved -= 1;
      },
    };
  }

  /** Starts a job its creator wrote as running here (with `reserveSlot`), from the inputs it read. */
  launchCreated(job: Job, inputs: MountInput[], slot: SlotReservation): void {
    void this.launch(job, slot, inputs);
  }

  /** Servers sharing one Postgres: look for queued jobs now and then, not only when asked. */
  startPolling(everyMs = 10_000): void {
    setInterval(() => void this.kick(), everyMs).unref();
  }

  /** Resolves once nothing is running, settling or being claimed here (tests close the database after). */
  async idle(): Promise<void> {
    while (this.running.size > 0 || this.pumping) {
      await (this.pumping ?? new Promise((resolve) => setTimeout(resolve, 50)));
    }
  }

  isRunningHere(jobId: string): boolean {
    return this.running.has(jobId);
  }

  /** Asks a job running here to stop: SIGTERM now, SIGKILL after the grace period. */
  stop(jobId: string): boolean {
    const entry = this.running.get(jobId);
    if (!entry) return false;
    entry.stopping = true;
    entry.logs.line("system", `Stopping: SIGTERM sent; SIGKILL follows in ${config().jobStopGraceSeconds}s if the job is still running.`);
    return this.runner.stop(jobId, config().jobStopGraceSeconds);
  }

  private ensureTicker(): void {
    if (this.ticker) return;
    this.ticker = setInterval(() => void this.tick(), TICK_MS);
    this.ticker.unref();
  }

  private async tick(): Promise<void> {
    if (this.running.size === 0 && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = null;
      return;
    }
    this.ticks += 1;
    for (const entry of this.running.values()) void entry.capture?.scan();
    if (this.ticks % HEARTBEAT_EVERY !== 0) return;
    try {
      const db = await getDb();
      await heartbeat(db, { instance: this.instance });
      // A stop asked of another server's API process reaches this one through the row.
      for (const [jobId, entry] of this.running) {
        const row = await findJobById(db, { id: jobId });
        if (row?.stopRequestedAt && !entry.stopping) this.stop(jobId);
      }
    } catch (error) {
      console.error("job scheduler tick failed", error);
    }
  }

  private async pump(): Promise<void> {
    for (;;) {
      // The claim holds a slot too: a job created while it is in flight must not take the same one.
      const slot = this.reserveSlot();
      if (!slot) return;
      let job: Job | null;
      try {
        const db = await getDb();
        job = await claimQueuedJob(db, { instance: this.instance, maxRunning: config().maxRunningJobs - (this.reserved - 1) });
      } catch (error) {
        slot.release();
        throw error;
      }
      if (!job) {
        slot.release();
        return;
      }
      await this.launch(job, slot);
    }
  }

  /** Starts a job written as running here; the slot it held becomes its place in `running`. */
  private async launch(job: Job, slot: SlotReservation, known?: MountInput[]): Promise<void> {
    const logs = new JobLogWriter(getDb, job.id);
    const entry: Running = { job, logs, capture: null, stopping: false };
    this.running.set(job.id, entry);
    slot.release();
    this.ensureTicker();
    try {
      const db = await getDb();
      const inputs = known ?? (await this.inputsOf(db, job.id));
      const env = decryptSecret(job.envCiphertext, envContext(job.orgId, job.id));
      const started = Date.now();
      const handle = await this.runner.start(
        { jobId: job.id, command: job.command, env, inputs },
        { line: (stream, message) => logs.line(stream, message), exited: (exit) => void this.settle(job.id, exit) },
      );
      if (!this.running.has(job.id)) return; // it could not start, and is settled already
      const files = inputs.reduce((sum, input) => sum + input.files.length, 0);
      logs.line("system", `Started with ${inputs.length} checkpoints attached (${files} files linked in ${Date.now() - started} ms).`);
      await updateJob(db, { id: job.id, onlyIf: ["running"] }, { pid: handle.pid });
      if (job.captureOutputs && handle.outputDir) {
        entry.capture = new OutputCapture(getDb, job, handle.outputDir, config().captureQuietSeconds * 1000, {
          log: (message) => logs.line("system", message),
        });
      }
    } catch (error) {
      await this.settle(job.id, { exitCode: null, signal: null, error: `The job could not start: ${error instanceof Error ? error.message : String(error)}` });
    }
  }

  /** What a claimed job attaches, each checkpoint with its files, in attachment order. */
  private async inputsOf(db: Db, jobId: string): Promise<MountInput[]> {
    const attachments = await attachmentsOf(db, { jobIds: [jobId] });
    const files = await filesOfCheckpoints(db, { checkpointIds: attachments.map((a) => a.checkpointId) });
    return attachments.map((a) => ({ name: a.mountName, files: files.filter((f) => f.checkpointId === a.checkpointId) }));
  }

  /** The job's process ended: capture what is left, record the outcome, let go of the checkpoints. */
  private async settle(jobId: string, exit: JobExit): Promise<void> {
    const entry = this.running.get(jobId);
    if (!entry) return;
    const db = await getDb();
    try {
      if (entry.capture) await entry.capture.scan(true);
      const row = await findJobById(db, { id: jobId });
      const stopped = entry.stopping || Boolean(row?.stopRequestedAt);
      const outcome = describeExit(exit, stopped);
      entry.logs.line("system", outcome.message);
      await entry.logs.flush();
      await updateJob(db, { id: jobId, onlyIf: ["running"] }, { ...outcome, exitCode: exit.exitCode, finishedAt: new Date(), pid: null });
      await releaseAttachments(db, { jobId });
      await this.runner.cleanup(jobId).catch((error) => console.error(`job ${jobId}: cleanup failed`, error));
    } catch (error) {
      console.error(`job ${jobId}: could not settle`, error);
    } finally {
      this.running.delete(jobId);
      void this.kick();
    }
  }
}

function describeExit(exit: JobExit, stopped: boolean): { status: Job["status"]; message: string } {
  if (exit.error) return { status: "failed", message: exit.error };
  const how = exit.signal ? `was ended by ${exit.signal}` : `exited with code ${exit.exitCode}`;
  if (stopped) return { status: "stopped", message: `Stopped on request; the command ${how}.` };
  if (exit.exitCode === 0) return { status: "succeeded", message: "The command exited with code 0." };
  return { status: "failed", message: `The command ${how}.` };
}

const globalForJobs = globalThis as unknown as { cairnJobScheduler?: JobScheduler };

/** This process's scheduler. */
export function jobScheduler(): JobScheduler {
  globalForJobs.cairnJobScheduler ??= new JobScheduler();
  return globalForJobs.cairnJobScheduler;
}
