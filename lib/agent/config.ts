import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { CliError } from "@/lib/cli/config";
import { AGENT_ENV, JOB_DIRS } from "./env";

export type AgentConfig = {
  server: string;
  jobId: string;
  token: string;
  jobDir: string;
  dirs: { inputs: string; outputs: string; work: string; state: string };
  cacheDir: string;
  cacheMaxBytes: number;
  sharedBlobDir: string | null;
  mode: "spawn" | "container";
  seedPaths: boolean;
  /** Who the command runs as: another user when the agent is root (default nobody), else the agent's own. */
  identity: { uid: number; gid: number } | null;
};

const DEFAULT_CACHE_BYTES = 100 * 1024 ** 3;

function need(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new CliError(`${name} is not set: the agent is started by a Cairn job runner, which sets it.`, 2);
  return value;
}

function number(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new CliError(`${name} must be a non-negative number, got "${raw}".`, 2);
  return Math.floor(value);
}

/** The agent's settings from its environment (see `AGENT_ENV`); the token from the variable or its file. */
export function agentConfig(env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const tokenFile = env[AGENT_ENV.tokenFile];
  const token = (tokenFile ? readFileSync(tokenFile, "utf8") : need(env, AGENT_ENV.token)).trim();
  const jobDir = path.resolve(need(env, AGENT_ENV.jobDir));
  const cacheHome = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), ".cache");
  const root = process.getuid?.() === 0;
  const uid = number(env, AGENT_ENV.jobUid, 65534);
  return {
    server: need(env, AGENT_ENV.server).replace(/\/+$/, ""),
    jobId: need(env, AGENT_ENV.jobId),
    token,
    jobDir,
    dirs: {
      inputs: path.join(jobDir, JOB_DIRS.inputs),
      outputs: path.join(jobDir, JOB_DIRS.outputs),
      work: path.join(jobDir, JOB_DIRS.work),
      state: path.join(jobDir, JOB_DIRS.state),
    },
    cacheDir: path.resolve(env[AGENT_ENV.cacheDir] || path.join(cacheHome, "cairn")),
    cacheMaxBytes: number(env, AGENT_ENV.cacheMaxBytes, DEFAULT_CACHE_BYTES),
    sharedBlobDir: env[AGENT_ENV.sharedBlobDir] ? path.resolve(env[AGENT_ENV.sharedBlobDir] ?? "") : null,
    mode: env[AGENT_ENV.mode] === "container" ? "container" : "spawn",
    seedPaths: env[AGENT_ENV.seedPaths] === "1",
    identity: root && uid !== 0 ? { uid, gid: number(env, AGENT_ENV.jobGid, uid) } : null,
  };
}
