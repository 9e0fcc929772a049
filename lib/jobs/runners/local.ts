import "server-only";
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { AGENT_ENV } from "@/lib/agent/env";
import { config } from "@/lib/config";
import type { Job } from "@/lib/db/schema";
import { AGENT_LOOP, agentEnvironment, fenceDataDir, prepareJobDir } from "../agent-launch";
import type { AgentLaunch, EngineState, JobRunner } from "../runner";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Runs each job's agent as a detached process on this machine, in `<data>/jobs/<id>`: it outlives
 * the server, so a restart of Cairn leaves running jobs running (the restarted server hears their
 * heartbeats). `runnerJobId` is the pid of the agent's restart loop.
 */
export class LocalRunner implements JobRunner {
  readonly kind = "local" as const;
  readonly accepts = [] as const;
  readonly queuesJobs = true;
  /** This machine, as recorded in `runnerInstance`: only it can see or signal its agents. */
  readonly host = os.hostname();

  root(): string {
    return path.join(config().dataDir, "jobs");
  }

  async submit(launch: AgentLaunch): Promise<{ runnerJobId: string }> {
    const cfg = config();
    const job = await prepareJobDir(this.root(), launch);
    if (cfg.jobUid !== null && cfg.jobUid !== 0) fenceDataDir(cfg.dataDir, this.root());
    const log = openSync(path.join(job.stateDir, "agent.log"), "a", 0o600);
    try {
      const [command, ...args] = cfg.agentCommand;
      const child = spawn("/bin/sh", ["-c", AGENT_LOOP, "cairn-agent", command ?? process.execPath, ...args, "job", "agent"], {
        cwd: job.dir,
        detached: true,
        stdio: ["ignore", log, log],
        env: agentEnvironment(launch, job, { [AGENT_ENV.cacheDir]: process.env[AGENT_ENV.cacheDir] || path.join(cfg.dataDir, "job-cache") }) as NodeJS.ProcessEnv,
      });
      child.unref();
      if (!child.pid) throw new Error("the job agent could not be started");
      return { runnerJobId: String(child.pid) };
    } finally {
      closeSync(log);
    }
  }

  async cancel(job: Job): Promise<void> {
    const pid = Number(job.runnerJobId);
    if (job.runnerInstance !== this.host || !Number.isInteger(pid) || pid <= 0) return;
    // The loop forwards it to the agent, which stops the command and captures what it left.
    try {
      process.kill(pid, "SIGTERM");
    } catch {}
  }

  async inspect(jobs: Job[]): Promise<Map<string, EngineState>> {
    const states = new Map<string, EngineState>();
    for (const job of jobs) {
      const pid = Number(job.runnerJobId);
      if (job.runnerInstance !== this.host || !Number.isInteger(pid) || pid <= 0) states.set(job.id, { state: "unknown" });
      else states.set(job.id, alive(pid) ? { state: "running", reason: null } : { state: "ended", reason: "the agent process exited" });
    }
    return states;
  }
}
