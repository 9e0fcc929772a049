import "server-only";
import { chmodSync, lstatSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { AGENT_ENV, JOB_DIRS } from "@/lib/agent/env";
import { removeTree } from "@/lib/agent/remove-tree";
import { config } from "@/lib/config";
import type { AgentLaunch } from "./runner";

/**
 * How runners on a machine with a shell start the agent: a small loop that starts it again when
 * it dies by a signal it did not ask for (a SIGKILL, the OOM killer) — the new agent takes the
 * job over from its state directory — and forwards SIGTERM/SIGINT, which the agent treats as *Stop*.
 */
export const AGENT_LOOP = `trap 'stop=1; kill -TERM "$a" 2>/dev/null' TERM INT
n=0
while :; do
  "$@" & a=$!
  wait "$a"; s=$?
  while kill -0 "$a" 2>/dev/null; do wait "$a"; s=$?; done
  [ "$s" -lt 128 ] && exit "$s"
  [ -n "$stop" ] && exit "$s"
  n=$((n + 1))
  [ "$n" -ge 5 ] && exit "$s"
  echo "cairn: the job agent died (status $s); starting it again" >&2
  sleep 1
done`;

/** Variables of the server the agent may see; nothing else of the server's environment (secrets) goes along. */
const PASSED = ["PATH", "LANG", "LC_ALL", "TZ", "TMPDIR", "HOME"];

/**
 * A job's directory, ready for its agent: `<root>/<job-id>` with the state directory holding the
 * token (0600, read by the agent only). A fresh launch clears what an earlier one left; a resume keeps it.
 */
export async function prepareJobDir(root: string, launch: AgentLaunch): Promise<{ dir: string; tokenFile: string; stateDir: string }> {
  const dir = path.join(root, launch.job.id);
  if (!launch.resume && lstatOrNull(dir)) await removeTree(dir);
  mkdirSync(root, { recursive: true });
  mkdirSync(dir, { recursive: true, mode: 0o711 });
  const stateDir = path.join(dir, JOB_DIRS.state);
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const tokenFile = path.join(stateDir, "token");
  writeFileSync(tokenFile, launch.token, { mode: 0o600 });
  chmodSync(tokenFile, 0o600);
  return { dir, tokenFile, stateDir };
}

/** The agent's environment for a job directory prepared by `prepareJobDir`. */
export function agentEnvironment(launch: AgentLaunch, job: { dir: string; tokenFile: string }, extra: Record<string, string> = {}): Record<string, string> {
  const cfg = config();
  const env: Record<string, string> = {};
  for (const key of PASSED) if (process.env[key] !== undefined) env[key] = process.env[key] ?? "";
  Object.assign(env, {
    [AGENT_ENV.server]: launch.serverUrl,
    [AGENT_ENV.jobId]: launch.job.id,
    [AGENT_ENV.tokenFile]: job.tokenFile,
    [AGENT_ENV.jobDir]: job.dir,
    ...(cfg.jobUid !== null ? { [AGENT_ENV.jobUid]: String(cfg.jobUid), [AGENT_ENV.jobGid]: String(cfg.jobGid ?? cfg.jobUid) } : { [AGENT_ENV.jobUid]: "0" }),
    ...passThrough(AGENT_ENV.cacheDir, AGENT_ENV.cacheMaxBytes, AGENT_ENV.sharedBlobDir),
    ...extra,
  });
  return env;
}

function passThrough(...names: string[]): Record<string, string> {
  return Object.fromEntries(names.filter((n) => process.env[n]).map((n) => [n, process.env[n] ?? ""]));
}

/**
 * A job running as another user reaches its own directory and nothing else of the data directory:
 * the data and jobs directories can be traversed but not listed, everything else is private.
 */
export function fenceDataDir(dataDir: string, jobsRoot: string): void {
  if (!jobsRoot.startsWith(`${dataDir}${path.sep}`)) return;
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

function lstatOrNull(file: string) {
  try {
    return lstatSync(file);
  } catch {
    return null;
  }
}
