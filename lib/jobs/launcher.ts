import { spawn, type ChildProcess } from "node:child_process";
import type { LogStream } from "./kinds";

/**
 * The launcher: a small Node process that forks the jobs. Forking copies the parent's page
 * tables, so spawning from the server (hundreds of MB) costs tens of milliseconds, from this
 * process about one. It follows each job's output line by line and reports over IPC.
 */
const LAUNCHER_SOURCE = String.raw`
const { spawn } = require("node:child_process");
const { createInterface } = require("node:readline");
const MAX_LINE = 16384;
const send = (message) => process.connected && process.send(message);
process.on("message", (m) => {
  if (!m || m.t !== "start") return;
  let child;
  try {
    child = spawn(m.file, m.args, { cwd: m.cwd, env: m.env, detached: true, stdio: ["ignore", "pipe", "pipe"], shell: false, ...(m.identity || {}) });
  } catch (error) {
    send({ t: "exit", id: m.id, code: null, signal: null, error: error.code || String(error.message) });
    return;
  }
  let open = 2;
  let exit = null;
  let error = null;
  let done = false;
  const finish = () => {
    if (open > 0 || !exit || done) return;
    done = true;
    send({ t: "exit", id: m.id, code: exit.code, signal: exit.signal, error });
  };
  const follow = (stream, name) => {
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    lines.on("line", (line) => send({ t: "line", id: m.id, stream: name, line: line.length > MAX_LINE ? line.slice(0, MAX_LINE) + "…" : line }));
    lines.on("close", () => { open -= 1; finish(); });
  };
  follow(child.stdout, "stdout");
  follow(child.stderr, "stderr");
  child.on("error", (e) => { error = e.code || e.message; exit = exit || { code: null, signal: null }; finish(); });
  child.on("exit", (code, signal) => {
    exit = exit || { code, signal };
    // The job ends with its command: stragglers left in its group would hold the pipes open.
    try { process.kill(-child.pid, "SIGKILL"); } catch {}
    finish();
  });
  if (child.pid) send({ t: "started", id: m.id, pid: child.pid });
});
process.on("disconnect", () => process.exit(0));
`;

export type LaunchRequest = {
  id: string;
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  identity: { uid: number; gid: number } | null;
};

export type LaunchEvents = {
  line(stream: LogStream, message: string): void;
  exited(exit: { code: number | null; signal: string | null; error: string | null }): void;
};

type Message =
  | { t: "started"; id: string; pid: number }
  | { t: "line"; id: string; stream: LogStream; line: string }
  | { t: "exit"; id: string; code: number | null; signal: string | null; error: string | null };

type Pending = { events: LaunchEvents; started: (pid: number | null) => void };

export class JobLauncher {
  private child: ChildProcess | null = null;
  private readonly jobs = new Map<string, Pending>();

  /** Starts the launcher ahead of the first job, so that job does not wait for it. */
  warm(): void {
    this.process();
  }

  /** Forks the job; resolves with its pid once it runs, or null when it could not start (then `exited` follows). */
  launch(request: LaunchRequest, events: LaunchEvents): Promise<number | null> {
    return new Promise((resolve) => {
      this.jobs.set(request.id, { events, started: resolve });
      this.process().send({ t: "start", ...request, identity: request.identity ?? undefined });
    });
  }

  private process(): ChildProcess {
    if (this.child?.connected) return this.child;
    const env: Record<string, string> = { PATH: process.env.PATH ?? "" };
    const child: ChildProcess = spawn(process.execPath, ["-e", LAUNCHER_SOURCE], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      env: env as NodeJS.ProcessEnv,
    });
    child.on("message", (message: Message) => this.receive(message));
    child.on("exit", () => {
      if (this.child === child) this.child = null;
      for (const [id, pending] of this.jobs) {
        this.jobs.delete(id);
        pending.started(null);
        pending.events.exited({ code: null, signal: null, error: "the job launcher stopped unexpectedly" });
      }
    });
    // Neither the launcher nor its channel keeps the server alive.
    child.unref();
    child.channel?.unref();
    this.child = child;
    return child;
  }

  private receive(message: Message): void {
    const pending = this.jobs.get(message.id);
    if (!pending) return;
    if (message.t === "started") pending.started(message.pid);
    else if (message.t === "line") pending.events.line(message.stream, message.line);
    else {
      this.jobs.delete(message.id);
      pending.started(null);
      pending.events.exited({ code: message.code, signal: message.signal, error: message.error });
    }
  }
}
