import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { EXIT_FILE } from "./env";
import { LOG_FILES } from "./log-shipper";

/**
 * The command runs under a small `sh` that outlives nothing but records the exit status on fd 3:
 * the command's output goes straight to the log files and its status to a file, so a job keeps
 * running, and its outcome is known, even if the agent that started it is killed and another
 * one takes over. `sh` handles TERM/INT/HUP with a no-op trap (handlers are reset for the
 * command, unlike ignored signals), so a *Stop* sent to the group ends the command and `sh` still
 * writes its status; `"$@"` passes the argv untouched — no shell parses the user's words.
 */
const WRAPPER = `trap ':' TERM INT HUP
"$@"
echo "$?" >&3`;

export type CommandExit = { exitCode: number | null; signal: string | null; error: string | null };

/** Starts the command in a session of its own (its pid is the group id); output and status to the state directory. */
export function startCommand(opts: {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  stateDir: string;
  identity: { uid: number; gid: number } | null;
}): number {
  const open = (name: string) => openSync(path.join(opts.stateDir, name), "a", 0o600);
  const fds = [open(LOG_FILES.stdout), open(LOG_FILES.stderr), openSync(path.join(opts.stateDir, EXIT_FILE), "w", 0o600)];
  try {
    const child = spawn("/bin/sh", ["-c", WRAPPER, "cairn-job", ...opts.argv], {
      cwd: opts.cwd,
      env: opts.env as NodeJS.ProcessEnv,
      detached: true,
      stdio: ["ignore", fds[0], fds[1], fds[2]],
      ...(opts.identity ?? {}),
    });
    child.unref();
    if (!child.pid) throw new Error("the command could not be started");
    return child.pid;
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

/** The status the wrapper wrote, once it has; a status over 128 is a signal (128 + its number). */
export function readExit(stateDir: string): CommandExit | null {
  let text: string;
  try {
    text = readFileSync(path.join(stateDir, EXIT_FILE), "utf8");
  } catch {
    return null;
  }
  const match = /^(\d+)\n/.exec(text);
  if (!match) return null;
  const status = Number(match[1]);
  if (status > 128) return { exitCode: status, signal: signalName(status - 128), error: null };
  return { exitCode: status, signal: null, error: null };
}

function signalName(number: number): string {
  const names: Record<number, string> = { 1: "SIGHUP", 2: "SIGINT", 6: "SIGABRT", 9: "SIGKILL", 11: "SIGSEGV", 13: "SIGPIPE", 15: "SIGTERM" };
  return names[number] ?? `signal ${number}`;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Signals the command's process group. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {}
}

/**
 * Waits for the command to end: its status in the exit file, or — if its wrapper vanished without
 * writing one (killed with the whole group) — an unknown exit. Polls: the command need not be our
 * child, and with no pid (another container runs it) only the file tells.
 */
export async function waitForExit(stateDir: string, pid: number | null, signal: AbortSignal): Promise<CommandExit> {
  for (;;) {
    const exit = readExit(stateDir);
    if (exit) return exit;
    if (pid !== null && !isAlive(pid)) {
      // The wrapper writes its status as its last act; give a status in flight a moment to land.
      await sleep(200);
      return readExit(stateDir) ?? { exitCode: null, signal: "SIGKILL", error: null };
    }
    if (signal.aborted) throw signal.reason;
    await sleep(100);
  }
}

/** The failure sentence for a command `sh` could not run (127: not found, 126: not executable). */
export function startProblem(argv0: string, exitCode: number | null): string | null {
  if (exitCode !== 127 && exitCode !== 126) return null;
  return `The command '${argv0}' was not found or is not executable. Give a program on the job machine's PATH or an absolute path the job can run.`;
}
