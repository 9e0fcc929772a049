import { type ChildProcess, execFile, spawn } from "node:child_process";
import { accessSync, closeSync, constants, existsSync, openSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { chmod, chown, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import net, { type AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);

export type SlurmCluster = {
  /** The cluster's own temp directory: state, spool, logs, slurm.conf, gres.conf. */
  dir: string;
  /** Absolute path of slurm.conf. */
  conf: string;
  /** What a process needs in its environment to use sbatch/squeue/scancel against this cluster. */
  env: Record<string, string>;
  partition: string;
  node: string;
  /**
   * Stops slurmd, slurmctld and slurmrestd (SIGTERM, SIGKILL after 5 s) and any slurmstepd or job of this
   * cluster, waits until they are gone, removes `dir`. Calling it again returns the same promise.
   */
  stop(): Promise<void>;
};

/** What {@link startSlurmCluster} adds with `rest: true`: a slurmrestd on loopback, and a JWT to call it with. */
export type SlurmRest = {
  /** slurmrestd's base URL, `http://127.0.0.1:<port>` (no trailing slash). */
  restUrl: string;
  /** A JWT from `scontrol token`, for the `X-SLURM-USER-TOKEN` header. */
  restToken: string;
  /** Whose token it is, for the `X-SLURM-USER-NAME` header. */
  restUser: string;
};

const DAEMONS = { slurmctld: "/usr/sbin/slurmctld", slurmd: "/usr/sbin/slurmd", munged: "/usr/sbin/munged" };
const SLURMRESTD = "/usr/sbin/slurmrestd";
const CLIENTS = ["sbatch", "squeue", "scancel", "scontrol", "sinfo", "sdiag", "munge", "unmunge"].map((name) => `/usr/bin/${name}`);
const DIR_PREFIX = "cairn-slurm-";
const PARTITION = "debug";
const BOOT_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether this machine can run {@link startSlurmCluster}.
 * @returns null when Slurm's and munge's binaries are installed, else a sentence saying what to install.
 */
export function slurmAvailable(): string | null {
  const missing = [...Object.values(DAEMONS), ...CLIENTS].filter((file) => !executable(file));
  if (missing.length === 0) return null;
  return `The Slurm tests need Debian's slurm-wlm and munge (missing ${missing.join(", ")}): run \`node scripts/system-deps.mjs\` or \`apt-get install -y slurm-wlm munge\`.`;
}

function alive(pid: number): boolean {
  try {
    // A zombie has exited; slurmstepd and jobs are reparented to init, which reaps them only lazily.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

function killQuietly(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Pids of every process that was started with this cluster's SLURM_CONF: the daemons, slurmscriptd,
 * slurmstepd and the jobs themselves (sbatch exports the submitter's environment), which outlive
 * slurmd when it is killed.
 */
function processesOf(conf: string): number[] {
  const marker = `SLURM_CONF=${conf}`;
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(marker)) pids.push(pid);
    } catch {
      // Exited meanwhile, or a kernel thread.
    }
  }
  return pids.filter(alive);
}

function readPid(file: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(file, "utf8").trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Kills the daemons and jobs of clusters whose owning test process died without calling stop(),
 * so a crashed run leaves nothing that a later one trips over. Clusters of live processes, such
 * as another engineer's concurrent run, are left alone.
 */
function reapOrphans() {
  const tmp = os.tmpdir();
  for (const name of readdirSync(tmp)) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const dir = path.join(tmp, name);
    const owner = readPid(path.join(dir, "owner.pid"));
    if (owner === null) {
      // Crashed between mkdtemp and writing owner.pid, or a stranger's dir: only take it when old.
      try {
        if (Date.now() - statSync(dir).mtimeMs < 10 * 60_000) continue;
      } catch {
        continue;
      }
    } else if (owner === process.pid || alive(owner)) continue;
    for (const pid of processesOf(path.join(dir, "slurm.conf"))) killQuietly(pid, "SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}

async function freePorts(count: number): Promise<number[]> {
  // Hold all listeners open at once so the ports differ; Slurm binds 0.0.0.0, so probe that too.
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<net.Server>((resolve, reject) => {
      const server = net.createServer();
      server.once("error", reject);
      server.listen(0, () => resolve(server));
    })),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

function mungeIds(): { uid: number; gid: number } {
  const line = readFileSync("/etc/passwd", "utf8").split("\n").find((entry) => entry.startsWith("munge:"));
  if (!line) throw new Error("There is no munge user: install Debian's munge package (`apt-get install -y munge`).");
  const [, , uid, gid] = line.split(":");
  return { uid: Number(uid), gid: Number(gid) };
}

async function mungeWorks(): Promise<boolean> {
  try {
    await exec("/bin/sh", ["-c", "/usr/bin/munge -n | /usr/bin/unmunge"], { timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

/** Starts munged the way Debian's service would, unless one already answers (it is shared by every cluster). */
async function ensureMunge() {
  if (await mungeWorks()) return;
  const { uid, gid } = mungeIds();
  for (const [dir, mode] of [["/run/munge", 0o755], ["/var/log/munge", 0o700], ["/var/lib/munge", 0o711], ["/etc/munge", 0o700]] as const) {
    await mkdir(dir, { recursive: true, mode });
    await chown(dir, uid, gid);
  }
  const key = "/etc/munge/munge.key";
  if (!existsSync(key)) {
    await writeFile(key, randomBytes(1024), { mode: 0o400 });
    await chown(key, uid, gid);
  }
  const start = (...args: string[]) => exec("/usr/sbin/runuser", ["-u", "munge", "--", DAEMONS.munged, ...args], { timeout: 10_000 });
  try {
    await start();
  } catch {
    // A munged that crashed leaves its socket behind, and munged refuses to start over it without --force.
    await start("--force").catch((error: Error) => {
      throw new Error(`munged did not start: ${error.message}`);
    });
  }
  const deadline = Date.now() + 10_000;
  while (!(await mungeWorks())) {
    if (Date.now() > deadline) throw new Error("munged started but `munge -n | unmunge` still fails; see /var/log/munge/munged.log");
    await sleep(100);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function tail(file: string, lines = 25): Promise<string> {
  try {
    return (await readFile(file, "utf8")).trimEnd().split("\n").slice(-lines).join("\n");
  } catch (error) {
    return `(no log: ${(error as Error).message})`;
  }
}

function slurmConf(d: string, host: string, ports: number[], cpus: number, memoryMb: number, gpus: number, jwtKey: string | null): string {
  return `${[
    "ClusterName=cairn",
    `SlurmctldHost=${host}(127.0.0.1)`,
    `SlurmctldPort=${ports[0]}`,
    `SlurmdPort=${ports[1]}`,
    "SlurmUser=root",
    "SlurmdUser=root",
    "AuthType=auth/munge",
    // slurmrestd's callers authenticate with tokens that slurmctld checks against this key.
    ...(jwtKey ? ["AuthAltTypes=auth/jwt", `AuthAltParameters=jwt_key=${jwtKey}`] : []),
    `StateSaveLocation=${d}/state`,
    `SlurmdSpoolDir=${d}/spool`,
    `SlurmctldPidFile=${d}/slurmctld.pid`,
    `SlurmdPidFile=${d}/slurmd.pid`,
    `SlurmctldLogFile=${d}/log/slurmctld.log`,
    `SlurmdLogFile=${d}/log/slurmd.log`,
    "ProctrackType=proctrack/linuxproc",
    "TaskPlugin=task/none",
    "SchedulerType=sched/backfill",
    // slurmctld starts batch jobs only from its periodic pass, by default at most every 3 s; 0 makes
    // that every second, so a submitted or unblocked job starts within about a second.
    "SchedulerParameters=batch_sched_delay=0",
    "SelectType=select/cons_tres",
    "SelectTypeParameters=CR_Core_Memory",
    // Trust the configured CPUs/memory even where the machine has fewer, instead of draining the node.
    "SlurmdParameters=config_overrides",
    "ReturnToService=2",
    "MpiDefault=none",
    "GresTypes=gpu",
    "JobAcctGatherType=jobacct_gather/none",
    "AccountingStorageType=accounting_storage/none",
    "JobCompType=jobcomp/none",
    // Without it a job is given the whole node's memory, so jobs run one at a time whatever they ask for.
    `DefMemPerCPU=${Math.max(1, Math.floor(memoryMb / cpus))}`,
    "KillWait=5",
    // Without accounting, `scontrol show job` is the only record of a finished job, for this long.
    "MinJobAge=300",
    `NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${memoryMb}${gpus > 0 ? ` Gres=gpu:${gpus}` : ""} State=UNKNOWN`,
    `PartitionName=${PARTITION} Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
  ].join("\n")}\n`;
}

/**
 * Boots a real one-node Slurm cluster (slurmctld + slurmd, Debian's slurm-wlm 22.05) on loopback,
 * in its own temp directory and on two fresh ports. Its node has `gpus` fake GPUs (`--gres=gpu:N`
 * is scheduled and sets CUDA_VISIBLE_DEVICES, with no hardware). Needs root; starts munged if none
 * answers and leaves it running, as the system service it is.
 * @param opts.gpus GPUs on the node, default 1.
 * @param opts.cpus CPUs on the node, default 2.
 * @param opts.memoryMb Memory on the node in MB, default 4000.
 * @param opts.rest Also serve Slurm's REST API: JWT auth (`AuthAltTypes=auth/jwt`, a fresh key in
 *   `dir`), slurmrestd on a free loopback port (as `nobody`: it will not serve as root), and a token
 *   for root from `scontrol token`, returned as `restUrl`, `restToken`, `restUser`.
 * @returns the running cluster, once its node is idle and slurmctld has begun scheduling (and,
 *   with `rest`, once slurmrestd answers an authenticated ping).
 */
export async function startSlurmCluster(opts: { gpus?: number; cpus?: number; memoryMb?: number; rest: true }): Promise<SlurmCluster & SlurmRest>;
export async function startSlurmCluster(opts?: { gpus?: number; cpus?: number; memoryMb?: number; rest?: boolean }): Promise<SlurmCluster & Partial<SlurmRest>>;
export async function startSlurmCluster(opts: { gpus?: number; cpus?: number; memoryMb?: number; rest?: boolean } = {}): Promise<SlurmCluster & Partial<SlurmRest>> {
  const missing = slurmAvailable() ?? (opts.rest && !executable(SLURMRESTD) ? "The Slurm REST tests need Debian's slurmrestd: run `apt-get install -y slurmrestd`." : null);
  if (missing) throw new Error(missing);
  if (process.getuid?.() !== 0) throw new Error("startSlurmCluster needs root: slurmd runs jobs as their submitter and munged must be started as the munge user.");
  const { gpus = 1, cpus = 2, memoryMb = 4000, rest = false } = opts;

  reapOrphans();
  await ensureMunge();

  const dir = await mkdtemp(path.join(os.tmpdir(), DIR_PREFIX));
  await writeFile(path.join(dir, "owner.pid"), `${process.pid}\n`);
  // Jobs may run as other users and write their output here.
  await chmod(dir, 0o755);
  for (const sub of ["state", "spool", "log", "gpu"]) await mkdir(path.join(dir, sub), { mode: 0o755 });
  // One path per GPU. slurmd wants character devices (a plain file is rejected and the job gets no
  // CUDA_VISIBLE_DEVICES), and links to /dev/null are that without a real GPU.
  const gpuFiles = Array.from({ length: gpus }, (_, i) => path.join(dir, "gpu", `nvidia${i}`));
  for (const file of gpuFiles) await symlink("/dev/null", file);

  let jwtKey: string | null = null;
  if (rest) {
    // slurmctld reads the key as SlurmUser (root here) and wants it private to that user.
    jwtKey = path.join(dir, "jwt.key");
    await writeFile(jwtKey, randomBytes(64), { mode: 0o600 });
    await chown(jwtKey, 0, 0);
    await chmod(jwtKey, 0o600);
  }

  const host = os.hostname().split(".")[0];
  const conf = path.join(dir, "slurm.conf");
  const ports = await freePorts(rest ? 3 : 2);
  await writeFile(conf, slurmConf(dir, host, ports, cpus, memoryMb, gpus, jwtKey));
  await writeFile(path.join(dir, "gres.conf"), gpuFiles.map((file) => `Name=gpu File=${file}\n`).join(""));

  const env = { SLURM_CONF: conf };
  const childEnv = { ...process.env, ...env };
  const daemons: ChildProcess[] = [];
  // Judged by Node's own record, not /proc: once Node reaps a daemon its pid may belong to a stranger.
  const running = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;
  const signalDaemons = (signal: NodeJS.Signals) => {
    for (const child of daemons.filter(running)) child.kill(signal);
  };
  const killAll = () => {
    signalDaemons("SIGKILL");
    for (const pid of processesOf(conf)) killQuietly(pid, "SIGKILL");
  };
  // Backstop for a test that forgets stop(): no daemon outlives the worker that started it.
  process.once("exit", killAll);

  async function shutDown() {
    process.removeListener("exit", killAll);
    signalDaemons("SIGTERM");
    let deadline = Date.now() + STOP_GRACE_MS;
    while (daemons.some(running) && Date.now() < deadline) await sleep(50);
    signalDaemons("SIGKILL");
    deadline = Date.now() + STOP_GRACE_MS;
    for (;;) {
      // slurmstepd and the jobs are reparented away from slurmd and outlive it.
      const strays = processesOf(conf);
      for (const pid of strays) killQuietly(pid, "SIGKILL");
      if (strays.length === 0 && !daemons.some(running)) break;
      if (Date.now() > deadline) throw new Error(`Slurm processes of ${conf} survived SIGKILL: ${strays.join(", ")}`);
      await sleep(50);
    }
    await rm(dir, { recursive: true, force: true });
  }
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= shutDown());

  const failed = async (why: string) => {
    killAll();
    const logs = await Promise.all(["slurmctld.log", "slurmctld.stderr", "slurmd.log", "slurmd.stderr", ...(rest ? ["slurmrestd.stderr"] : [])].map(async (name) => `--- ${name} ---\n${await tail(path.join(dir, "log", name))}`));
    await stop();
    return new Error(`${why}\n${logs.join("\n")}`);
  };

  // In the foreground (-D) as our children rather than daemonized: we then reap them the moment
  // they exit (this machine's init reaps orphans only lazily, leaving zombies in pgrep for a
  // while), and a daemon that dies while booting shows as an exit, with its stderr in log/.
  for (const [name, args] of [
    ["slurmctld", ["-D", "-i"]],
    ["slurmd", ["-D", "-N", host]],
  ] as const) {
    const stderr = openSync(path.join(dir, "log", `${name}.stderr`), "a");
    const child = spawn(DAEMONS[name], [...args], { env: childEnv, cwd: dir, stdio: ["ignore", stderr, stderr] });
    closeSync(stderr);
    child.unref();
    daemons.push(child);
    const spawned = await new Promise<Error | null>((resolve) => {
      child.once("spawn", () => resolve(null));
      child.once("error", resolve);
    });
    if (spawned) throw await failed(`${name} did not start: ${spawned.message}`);
  }

  // sinfo says idle once slurmd has registered, but nothing submitted starts before slurmctld's
  // first scheduling pass, so wait for that too: tests then see the same latency for every job.
  const deadline = Date.now() + BOOT_TIMEOUT_MS;
  let state = "";
  for (;;) {
    try {
      state = (await exec("/usr/bin/sinfo", ["-h", "-o", "%t"], { env: childEnv, timeout: 10_000 })).stdout.trim();
      if (state === "idle") {
        const { stdout } = await exec("/usr/bin/sdiag", [], { env: childEnv, timeout: 10_000 });
        const cycles = /Main schedule statistics[\s\S]*?Total cycles:\s*(\d+)/.exec(stdout)?.[1];
        if (Number(cycles) > 0) break;
        state = "idle, before the first scheduling pass";
      }
    } catch (error) {
      state = (error as Error).message.trim();
    }
    const dead = daemons.find((child) => !running(child));
    if (dead) throw await failed(`${dead.spawnfile} exited with ${dead.exitCode ?? dead.signalCode} while booting (sinfo: ${state})`);
    if (Date.now() > deadline) throw await failed(`The Slurm node was not idle and scheduling within ${BOOT_TIMEOUT_MS / 1000} s (sinfo: ${state})`);
    await sleep(100);
  }

  const cluster = { dir, conf, env, partition: PARTITION, node: host, stop };
  if (!rest) return cluster;

  let restToken: string;
  try {
    const { stdout } = await exec("/usr/bin/scontrol", ["token", "username=root", "lifespan=3600"], { env: childEnv, timeout: 10_000 });
    const token = /SLURM_JWT=(\S+)/.exec(stdout)?.[1];
    if (!token) throw new Error(`it printed '${stdout.trim()}'`);
    restToken = token;
  } catch (error) {
    throw await failed(`scontrol token gave no token: ${(error as Error).message}`);
  }
  const restUrl = `http://127.0.0.1:${ports[2]}`;
  const stderr = openSync(path.join(dir, "log", "slurmrestd.stderr"), "a");
  // slurmrestd will not serve as root or SlurmUser (root here): it binds as root, then becomes
  // nobody with -u/-g, so no SLURMRESTD_SECURITY=disable_user_check is needed. With rest_auth/jwt
  // it acts for whoever the request's token names; it never reads the key (only slurmctld does).
  // SLURM_JWT (any value) makes auth/jwt its default auth plugin: without it auth/munge gets each
  // request's token and refuses it ("Rejecting thread config token for user root").
  // Only the v0.0.38 job API: the openapi/dbv0.0.* plugins it loads by default need slurmdbd, which
  // this cluster has not ("fatal: slurm_openapi_p_init: slurm not configured with slurmdbd").
  const restd = spawn(SLURMRESTD, ["-a", "rest_auth/jwt", "-s", "openapi/v0.0.38", "-u", "nobody", "-g", "nogroup", `127.0.0.1:${ports[2]}`], {
    env: { ...childEnv, SLURM_JWT: "daemon" },
    cwd: dir,
    stdio: ["ignore", stderr, stderr],
  });
  closeSync(stderr);
  restd.unref();
  daemons.push(restd);
  const spawned = await new Promise<Error | null>((resolve) => {
    restd.once("spawn", () => resolve(null));
    restd.once("error", resolve);
  });
  if (spawned) throw await failed(`slurmrestd did not start: ${spawned.message}`);
  const restDeadline = Date.now() + BOOT_TIMEOUT_MS;
  let answer = "";
  for (;;) {
    try {
      const response = await fetch(`${restUrl}/slurm/v0.0.38/ping`, {
        headers: { "X-SLURM-USER-NAME": "root", "X-SLURM-USER-TOKEN": restToken },
        signal: AbortSignal.timeout(5_000),
      });
      answer = `${response.status} ${(await response.text()).slice(0, 500)}`;
      if (response.ok) break;
    } catch (error) {
      answer = (error as Error).message;
    }
    if (!running(restd)) throw await failed(`slurmrestd exited with ${restd.exitCode ?? restd.signalCode} while starting (ping: ${answer})`);
    if (Date.now() > restDeadline) throw await failed(`slurmrestd did not answer a ping within ${BOOT_TIMEOUT_MS / 1000} s (last: ${answer})`);
    await sleep(100);
  }
  return { ...cluster, restUrl, restToken, restUser: "root" };
}
