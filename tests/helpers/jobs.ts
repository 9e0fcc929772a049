import { chmodSync, copyFileSync, mkdirSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import * as list from "@/app/api/v1/checkpoints/route";
import * as file from "@/app/api/v1/checkpoints/[ref]/files/[...path]/route";
import * as commit from "@/app/api/v1/checkpoints/[ref]/commit/route";
import * as jobsRoute from "@/app/api/v1/jobs/route";
import * as jobRoute from "@/app/api/v1/jobs/[ref]/route";
import * as logsRoute from "@/app/api/v1/jobs/[ref]/logs/route";
import type { JobLogs, JobResponse } from "@/lib/api/schemas/jobs";
import type { Db } from "@/lib/db/client";
import { unfinishedJobs } from "@/lib/db/queries/jobs";
import { jobs } from "@/lib/db/schema";
import { resetJobRunner } from "@/lib/jobs/runners";
import { resetLocalQueue } from "@/lib/jobs/scheduler";
import { call, json } from "./api";
import { startApiServer, type ApiServer } from "./api-server";
import type { TestUser } from "./accounts";

/**
 * The app behind a loopback HTTP server for job agents to talk to, and the runner `kind` (with
 * the env a suite sets first) installed fresh, so suites with different runners share a process.
 */
export async function useJobRunner(kind: "local" | "slurm" | "kubernetes", env: Record<string, string> = {}, opts: { port?: number } = {}): Promise<ApiServer> {
  const server = await startApiServer(opts);
  Object.assign(process.env, { CAIRN_JOB_RUNNER: kind, CAIRN_AGENT_SERVER_URL: server.url, CAIRN_AGENT_HEARTBEAT_SECONDS: "0.5", ...env });
  resetJobRunner();
  resetLocalQueue();
  return server;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Waits until no job is queued or running and every local agent has exited (suites close the database after). */
export async function settleJobs(db: Db, timeoutMs = 60_000): Promise<void> {
  const agents = new Set<number>();
  await eventually(
    "every job to end and its agent to exit",
    async () => {
      for (const job of await db.select().from(jobs)) if (job.runner === "local" && Number(job.runnerJobId) > 0) agents.add(Number(job.runnerJobId));
      if ((await unfinishedJobs(db)).length > 0) return false;
      return [...agents].every((pid) => !alive(pid));
    },
    timeoutMs,
  );
}

/**
 * A directory every user can read and write, holding the job script: a server running as root
 * runs jobs as `nobody`, which must reach the script, the release files and the data directory.
 */
export function jobSandbox(dataDir: string) {
  chmodSync(dataDir, 0o755);
  const dir = mkdtempSync(path.join(os.tmpdir(), "cairn-job-"));
  chmodSync(dir, 0o777);
  const script = path.join(dir, "job-script.mjs");
  copyFileSync(path.join(import.meta.dirname, "../fixtures/job-script.mjs"), script);
  chmodSync(script, 0o644);
  mkdirSync(path.join(dir, "release"), { mode: 0o777 });
  chmodSync(path.join(dir, "release"), 0o777);
  return { dir, script, release: (name: string) => path.join(dir, "release", name) };
}

/** A `ready` local checkpoint with the given files, made over the API. */
export async function readyCheckpoint(user: TestUser, name: string, files: Record<string, Buffer | string>, headers?: Record<string, string>) {
  const created = await call(list.POST, "/x", { method: "POST", token: user.token, headers, body: { name, sourceType: "local" } });
  if (created.status !== 201) throw new Error(`create ${name}: ${created.status} ${await created.text()}`);
  const id = (await json<{ metadata: { id: string } }>(created)).metadata.id;
  for (const [filePath, body] of Object.entries(files)) {
    const put = await call(file.PUT, "/x", { method: "PUT", token: user.token, headers, rawBody: typeof body === "string" ? body : new Uint8Array(body), params: { ref: id, path: filePath.split("/") } });
    if (put.status !== 201) throw new Error(`put ${filePath}: ${put.status} ${await put.text()}`);
  }
  const done = await call(commit.POST, "/x", { method: "POST", token: user.token, headers, params: { ref: id } });
  if (done.status !== 200) throw new Error(`commit ${name}: ${done.status} ${await done.text()}`);
  return id;
}

export const launch = (user: TestUser, body: Record<string, unknown>, headers?: Record<string, string>) =>
  call(jobsRoute.POST, "/api/v1/jobs", { method: "POST", token: user.token, headers, body });

export async function getJob(user: TestUser, ref: string): Promise<JobResponse> {
  const response = await call(jobRoute.GET, `/api/v1/jobs/${ref}`, { token: user.token, params: { ref } });
  if (response.status !== 200) throw new Error(`get job ${ref}: ${response.status} ${await response.text()}`);
  return json<JobResponse>(response);
}

export async function jobLogs(user: TestUser, ref: string, after?: number): Promise<JobLogs> {
  const response = await call(logsRoute.GET, `/api/v1/jobs/${ref}/logs`, {
    token: user.token,
    params: { ref },
    query: after === undefined ? { limit: "5000" } : { after: String(after), limit: "5000" },
  });
  return json<JobLogs>(response);
}

/** Polls until `check` returns something truthy, failing after `timeoutMs` with what it last saw. */
export async function eventually<T>(what: string | (() => Promise<string>), check: () => Promise<T | null | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check();
    if (result) return result;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === "string" ? what : await what()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export const finished = (user: TestUser, ref: string, timeoutMs = 60_000) =>
  eventually(
    async () => `job ${ref} to end; it is ${(await getJob(user, ref)).status}, its logs:\n${await logText(user, ref)}`,
    async () => {
      const job = await getJob(user, ref);
      return ["succeeded", "failed", "stopped"].includes(job.status) ? job : null;
    },
    timeoutMs,
  );

export async function logText(user: TestUser, ref: string): Promise<string> {
  return (await jobLogs(user, ref)).items.map((l) => `${l.stream}: ${l.message}`).join("\n");
}
