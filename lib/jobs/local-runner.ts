import { chmodSync, chownSync, lstatSync, mkdirSync, readdirSync } from "node:fs";
import path from "node:path";
import type { BlobStore } from "@/lib/storage/types";
import { JobLauncher } from "./launcher";
import { materializeInputs, removeTree } from "./mounts";
import { JOB_ENV, type JobEvents, type JobRunner, type JobSpec, type StartedJob } from "./runner";

/** Variables of the server a job inherits; everything else (secrets, DATABASE_URL) stays out. */
const INHERITED = ["PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "USER", "SHELL", "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES"];

/** Runs each job as a process on this machine (forked by the launcher), in `<root>/<job-id>/{work,inputs,outputs}`. */
export class LocalJobRunner implements JobRunner {
  readonly kind = "local" as const;
  private readonly processes = new Map<string, { pid: number | null; stopTimer: NodeJS.Timeout | null }>();
  private readonly launcher = new JobLauncher();

  constructor(
    private readonly opts: {
      root: () => string;
      cacheDir: () => string;
      store: () => BlobStore;
      /** Who the job runs as (null: the server's own user). Root must not run jobs: it ignores read-only modes. */
      identity: () => { uid: number; gid: number } | null;
    },
  ) {}

  jobDir(jobId: string): string {
    return path.join(this.opts.root(), jobId);
  }

  async start(spec: JobSpec, events: JobEvents): Promise<StartedJob> {
    const dir = this.jobDir(spec.jobId);
    const dirs = { work: path.join(dir, "work"), inputs: path.join(dir, "inputs"), outputs: path.join(dir, "outputs") };
    // A fresh id has no directory; one left by a crash is cleared first.
    if (lstatSync(dir, { throwIfNoEntry: false })) await removeTree(dir);
    // A handful of metadata calls, made synchronously (see materializeInputs): a launch must not
    // wait a thread-pool round trip, and whatever the event loop is doing, for each of them.
    mkdirSync(dir, { recursive: true });
    mkdirSync(dirs.work);
    mkdirSync(dirs.outputs);
    await materializeInputs(this.opts.store(), { inputDir: dirs.inputs, cacheDir: this.opts.cacheDir(), inputs: spec.inputs });
    const identity = this.opts.identity();
    if (identity) {
      // At every launch: a directory another part of Cairn created since must not stay open.
      fenceDataDir(path.dirname(this.opts.root()), this.opts.root());
      for (const writable of [dir, dirs.work, dirs.outputs]) chownSync(writable, identity.uid, identity.gid);
      chmodSync(dir, 0o700);
    }
    const first = spec.inputs[0];
    const env: Record<string, string> = {};
    for (const key of INHERITED) if (process.env[key] !== undefined) env[key] = process.env[key] ?? "";
    Object.assign(env, spec.env, {
      ...(identity ? { HOME: dirs.work } : {}),
      CAIRN_JOB_ID: spec.jobId,
      [JOB_ENV.input]: dirs.inputs,
      [JOB_ENV.output]: dirs.outputs,
      ...(first ? { [JOB_ENV.first]: path.join(dirs.inputs, first.name) } : {}),
    });
    const [file = "", ...args] = spec.command;
    const running = { pid: null as number | null, stopTimer: null as NodeJS.Timeout | null };
    this.processes.set(spec.jobId, running);
    const pid = await this.launcher.launch(
      { id: spec.jobId, file, args, cwd: dirs.work, env, identity },
      {
        line: (stream, message) => events.line(stream, message),
        exited: ({ code, signal, error }) => {
          if (running.stopTimer) clearTimeout(running.stopTimer);
          // Normally the launcher has done this; if the launcher itself died, nothing else will.
          if (running.pid) signalGroup(running.pid, "SIGKILL");
          this.processes.delete(spec.jobId);
          events.exited({ exitCode: code, signal, error: error === null ? undefined : startFailure(file, error) });
        },
      },
    );
    running.pid = pid;
    return { pid, outputDir: dirs.outputs };
  }

  stop(jobId: string, graceSeconds: number): boolean {
    const running = this.processes.get(jobId);
    const pid = running?.pid;
    if (!running || !pid) return false;
    signalGroup(pid, "SIGTERM");
    running.stopTimer ??= setTimeout(() => {
      if (this.processes.get(jobId) === running) signalGroup(pid, "SIGKILL");
    }, graceSeconds * 1000);
    running.stopTimer.unref();
    return true;
  }

  /** Starts the launcher process ahead of the first job. */
  warm(): void {
    this.launcher.warm();
  }

  async cleanup(jobId: string): Promise<void> {
    await removeTree(this.jobDir(jobId));
  }
}

function startFailure(file: string, code: string): string {
  return code === "ENOENT" || code === "EACCES"
    ? `The command '${file}' was not found or is not executable. Give a program on the server's PATH or an absolute path the job can run.`
    : `The command could not start: ${code}`;
}

/**
 * A job running as another user reaches its own directory and nothing else of the data directory:
 * the data and jobs directories can be traversed but not listed, everything else is private.
 */
function fenceDataDir(dataDir: string, jobsRoot: string): void {
  chmodSync(dataDir, 0o711);
  chmodSync(jobsRoot, 0o711);
  for (const entry of readdirSync(dataDir, { withFileTypes: true })) {
    const full = path.join(dataDir, entry.name);
    if (full === jobsRoot) continue;
    try {
      if (entry.isDirectory()) chmodSync(full, 0o700);
      else if (entry.isFile()) chmodSync(full, 0o600);
    } catch {
      // Gone since the listing, or not ours to change: nothing to fence.
    }
  }
}

/** Signals the whole process group (the job was started detached, as its leader). */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}
