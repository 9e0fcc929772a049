import { chownSync, mkdirSync, symlinkSync, writeFileSync, chmodSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { AgentHeartbeatReply, AgentSpec } from "@/lib/api/schemas/agent";
import { CairnApiError } from "@/lib/cli/client";
import { AgentApi } from "./api";
import { BlobCache } from "./blob-cache";
import { CaptureQueue } from "./captures";
import { CaptureUploader } from "./capture-upload";
import { CONTAINER_MARKERS } from "./container";
import { isAlive, readExit, signalGroup, startCommand, startProblem, waitForExit, type CommandExit } from "./command";
import type { AgentConfig } from "./config";
import { JOB_ENV } from "./env";
import { materializeInputs } from "./inputs";
import { LogShipper } from "./log-shipper";
import { removeTree } from "./remove-tree";
import { StateFile } from "./state";

/** Variables of the agent's own environment a command inherits; everything else (the token) stays out. */
const INHERITED = ["PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "USER", "SHELL", "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES"];
/** The seeds' literal paths, provided in containers where the agent may create them. */
const SEED_PATHS = { input: "/input-checkpoint", output: "/output-checkpoint", first: "/opt/trainml/checkpoint" };

const ACTIVE = new Set(["queued", "running"]);

/**
 * `cairn job agent`: runs one job where its runner started it. Materialises the inputs, runs the
 * command (or, in a container, waits for the container that does), ships its lines, captures its
 * outputs while it runs and once more after it ended, heartbeats and obeys *Stop*. Every step
 * survives a restart of the agent (state in `<job>/.cairn`) and an unreachable server (retried).
 * The job's directory is removed only once every capture is ready with matching SHA-256s.
 */
export async function runAgent(config: AgentConfig): Promise<number> {
  const { dirs } = config;
  mkdirSync(dirs.state, { recursive: true, mode: 0o700 });
  const state = new StateFile(dirs.state);
  const diagnostics = (message: string) => process.stderr.write(`${new Date().toISOString()} ${message}\n`);
  const api = new AgentApi(config.server, config.token, config.jobId, diagnostics);
  const shipper = new LogShipper(dirs.state, state, api);
  shipper.start();
  // A stop before the command runs (the engine cancelled a job still starting) ends the agent at once.
  const early = new AbortController();
  const stopEarly = () => early.abort();
  for (const name of ["SIGTERM", "SIGINT"] as const) process.once(name, stopEarly);
  const spec = await firstContact(api, early.signal).catch((error: unknown) => {
    if (early.signal.aborted) return null;
    throw error;
  });
  for (const name of ["SIGTERM", "SIGINT"] as const) process.off(name, stopEarly);
  if (!spec) return 0;
  const resumed = state.state.commandPid !== null || readExit(dirs.state) !== null;
  if (!resumed && !ACTIVE.has(spec.job.status)) {
    diagnostics(`The job is ${spec.job.status}; nothing to run.`);
    await shipper.drain();
    return 0;
  }

  const stop = new StopControl(shipper, spec.settings.stopGraceSeconds);
  for (const name of ["SIGTERM", "SIGINT"] as const) process.on(name, () => stop.request());
  const heartbeat = new Heartbeat(api, spec.settings.heartbeatSeconds, (reply) => {
    if (reply.stop) stop.request();
    captures?.retryIfAsked(reply.captureRetryAt);
  });
  let captures: RetryingCaptures | null = null;
  if (spec.job.captureOutputs) {
    captures = new RetryingCaptures(
      new CaptureQueue(dirs.outputs, spec.settings.captureQuietSeconds * 1000, new CaptureUploader(api, dirs.state, dirs.outputs), state, (m) => shipper.system(m)),
    );
  }

  let pid = state.state.commandPid;
  if (!resumed) {
    try {
      await api.post("/started", { pid: null, host: os.hostname(), resumed: false }, { retry: true });
    } catch (error) {
      // Stopped (or failed) while it waited in the engine's queue: it must not run.
      if (!(error instanceof CairnApiError) || error.status !== 409) throw error;
      diagnostics(error.message);
      await shipper.drain();
      return 0;
    }
    pid = await launch(config, spec, shipper);
    await state.update((s) => {
      s.commandPid = pid;
      s.commandStartedAt = new Date().toISOString();
    });
  } else {
    await api.post("/started", { pid, host: os.hostname(), resumed: true }, { retry: true });
    shipper.system(`The agent restarted; it took over the job${pid !== null && isAlive(pid) ? ` (pid ${pid}, still running)` : ""}.`);
  }
  stop.attach(pid);
  if (spec.job.stopRequested) stop.request();
  heartbeat.start();

  const scanning = captures ? setInterval(() => void captures?.queue.pass(false), 1000) : null;
  let exit: CommandExit = await waitForExit(dirs.state, pid, new AbortController().signal);
  if (scanning) clearInterval(scanning);
  // The job ends with its command: stragglers left in its group must not write on.
  if (pid !== null) signalGroup(pid, "SIGKILL");
  stop.done();
  const problem = startProblem(spec.command[0] ?? "", exit.exitCode);
  if (problem) exit = { ...exit, error: problem };
  await captures?.queue.pass(true);
  await shipper.drain();
  if (!state.state.finishedReported) {
    await api.post("/finished", exit, { retry: true });
    await state.update((s) => void (s.finishedReported = true));
  }

  if (captures && captures.queue.outstanding() > 0) {
    shipper.start();
    const until = Date.now() + spec.settings.lingerSeconds * 1000;
    while (captures.queue.outstanding() > 0 && Date.now() < until && heartbeat.alive) await sleep(500);
    await captures.settled();
    await shipper.drain().catch(() => {});
  }
  heartbeat.stop();
  const kept = captures !== null && captures.queue.outstanding() > 0;
  if (kept) diagnostics("Captures are still failed; the job's directory is kept.");
  await new BlobCache(config.cacheDir, config.cacheMaxBytes, config.jobId).release();
  if (config.mode === "container") {
    // The pod's volume goes with the pod. The main container ends once this marker is there; a
    // sidecar that exited now would be restarted, so it waits for the pod's end (SIGTERM).
    writeFileSync(path.join(dirs.state, CONTAINER_MARKERS.agentDone), "");
    await new Promise<void>((resolve) => process.once("SIGTERM", () => resolve()));
    return 0;
  }
  if (!kept) await removeTree(config.jobDir);
  return 0;
}

/** How long an agent that has never reached its server keeps trying before it gives up. */
const FIRST_CONTACT_MS = 10 * 60_000;

/** The job's spec: retried through a server restart, but an agent that never gets through gives up. */
async function firstContact(api: AgentApi, stopped: AbortSignal): Promise<AgentSpec> {
  const signal = AbortSignal.any([stopped, AbortSignal.timeout(FIRST_CONTACT_MS)]);
  try {
    return await api.call<AgentSpec>("GET", "", undefined, { retry: true, signal });
  } catch (error) {
    if (signal.aborted && !stopped.aborted) throw new Error(`The server did not answer for ${FIRST_CONTACT_MS / 60_000} minutes; giving up.`, { cause: error });
    throw error;
  }
}

/** Lays out the inputs and the job's directories, then starts the command (or lets its container start). */
async function launch(config: AgentConfig, spec: AgentSpec, shipper: LogShipper): Promise<number | null> {
  const { dirs } = config;
  const started = Date.now();
  const cache = new BlobCache(config.cacheDir, config.cacheMaxBytes, config.jobId);
  const summary = await materializeInputs({ spec, inputDir: dirs.inputs, sharedBlobDir: config.sharedBlobDir, cache, api: new AgentApi(config.server, config.token, config.jobId) });
  shipper.system(
    `Inputs ready: ${summary.files} files of ${spec.inputs.length} checkpoints in ${Date.now() - started} ms` +
      (summary.files === 0 ? "." : ` (${summary.linkedFromStore} linked from the blob store, ${summary.fromCache} from the node cache, ${summary.fetchedBytes} bytes fetched).`),
  );
  for (const dir of [dirs.work, dirs.outputs]) mkdirSync(dir, { recursive: true });
  if (config.identity) {
    for (const dir of [dirs.work, dirs.outputs]) chownSync(dir, config.identity.uid, config.identity.gid);
    chmodSync(config.jobDir, 0o711);
  }
  const first = spec.inputs[0];
  const inputs = config.seedPaths ? SEED_PATHS.input : dirs.inputs;
  if (config.seedPaths) provideSeedPaths(dirs, first?.name ?? null);
  if (config.mode === "container") {
    writeFileSync(path.join(dirs.state, CONTAINER_MARKERS.inputsReady), "");
    return null;
  }
  const env: Record<string, string> = {};
  for (const key of INHERITED) if (process.env[key] !== undefined) env[key] = process.env[key] ?? "";
  for (const [key, value] of Object.entries(process.env)) if (key.startsWith("SLURM_") && value !== undefined) env[key] = value;
  Object.assign(env, spec.env, {
    ...(config.identity ? { HOME: dirs.work } : {}),
    [JOB_ENV.jobId]: config.jobId,
    [JOB_ENV.input]: inputs,
    [JOB_ENV.output]: config.seedPaths ? SEED_PATHS.output : dirs.outputs,
    ...(first ? { [JOB_ENV.first]: path.join(inputs, first.name) } : {}),
  });
  return startCommand({ argv: spec.command, cwd: dirs.work, env, stateDir: dirs.state, identity: config.identity });
}

/** Links the seeds' literal paths to the job's directories, where this machine lets the agent (a container). */
function provideSeedPaths(dirs: AgentConfig["dirs"], firstName: string | null): void {
  const links: [string, string][] = [
    [SEED_PATHS.input, dirs.inputs],
    [SEED_PATHS.output, dirs.outputs],
    ...(firstName ? ([[SEED_PATHS.first, path.join(dirs.inputs, firstName)]] as [string, string][]) : []),
  ];
  for (const [link, target] of links) {
    mkdirSync(path.dirname(link), { recursive: true });
    symlinkSync(target, link);
  }
}

/** *Stop*: SIGTERM to the command's group at once, SIGKILL after the grace period. */
class StopControl {
  private pid: number | null = null;
  private asked = false;
  private signalled = false;
  private killer: NodeJS.Timeout | null = null;

  constructor(
    private readonly shipper: LogShipper,
    private readonly graceSeconds: number,
  ) {}

  /** The command's pid once it runs; a stop asked before that reaches it now. */
  attach(pid: number | null): void {
    this.pid = pid;
    if (this.asked) this.request();
  }

  request(): void {
    this.asked = true;
    if (this.pid === null || this.signalled) return;
    this.signalled = true;
    this.shipper.system(`Stopping: SIGTERM sent; SIGKILL follows in ${this.graceSeconds}s if the job is still running.`);
    const pid = this.pid;
    signalGroup(pid, "SIGTERM");
    this.killer = setTimeout(() => signalGroup(pid, "SIGKILL"), this.graceSeconds * 1000);
  }

  done(): void {
    if (this.killer) clearTimeout(this.killer);
  }
}

/** Heartbeats at the job's interval; stops for good once the token no longer opens the job. */
class Heartbeat {
  alive = true;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly api: AgentApi,
    private readonly seconds: number,
    private readonly onReply: (reply: AgentHeartbeatReply) => void,
  ) {}

  start(): void {
    const beat = async () => {
      try {
        this.onReply(await this.api.post<AgentHeartbeatReply>("/heartbeat"));
      } catch (error) {
        if (error instanceof CairnApiError && (error.status === 401 || error.status === 404)) this.alive = false;
      }
      if (this.alive && this.timer) this.timer = setTimeout(() => void beat(), this.seconds * 1000);
    };
    this.timer = setTimeout(() => void beat(), 0);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** Runs the failed captures again when *Retry capture* was pressed after the agent last tried. */
class RetryingCaptures {
  private handled: string | null = null;
  private retrying: Promise<void> = Promise.resolve();

  constructor(readonly queue: CaptureQueue) {}

  retryIfAsked(at: string | null): void {
    if (!at || at === this.handled) return;
    const first = this.handled === null;
    this.handled = at;
    // The request seen first may predate this agent: its own first pass already retries those.
    if (first && this.queue.outstanding() === 0) return;
    this.retrying = this.queue.retry();
  }

  settled(): Promise<void> {
    return this.retrying;
  }
}
