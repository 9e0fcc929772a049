import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SlurmCluster, slurmAvailable, startSlurmCluster } from "@/tests/helpers/slurm-cluster";

const exec = promisify(execFile);

/** Polls until `check` returns a value other than undefined, or fails saying what it last saw. */
async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A zombie is as dead as a missing pid: nothing here is its parent to reap it. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

function withConf(conf: string): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(`SLURM_CONF=${conf}`);
      } catch {
        return false;
      }
    })
    .map(Number)
    .filter(running);
}

describe("slurm cluster helper", () => {
  let cluster: SlurmCluster;
  let stopped = false;

  const slurm = async (command: string, ...args: string[]) =>
    (await exec(command, args, { env: { ...process.env, ...cluster.env }, cwd: cluster.dir })).stdout.trim();
  const sbatch = (...args: string[]) => slurm("sbatch", "--parsable", ...args);
  const job = async (id: string) => {
    const shown = await slurm("scontrol", "show", "job", id);
    return { state: /JobState=(\S+)/.exec(shown)?.[1], exitCode: /ExitCode=(\S+)/.exec(shown)?.[1], reason: /Reason=(\S+)/.exec(shown)?.[1] };
  };
  const queued = async (id: string) => (await slurm("squeue", "-h", "-j", id, "-o", "%i|%T|%r")) || undefined;

  beforeAll(async () => {
    // The test step installs Slurm first, so its absence is a failure to report, not a reason to skip.
    const missing = slurmAvailable();
    if (missing) throw new Error(missing);
    const started = Date.now();
    cluster = await startSlurmCluster();
    console.info(`Slurm cluster booted in ${Date.now() - started} ms`);
  });

  afterAll(async () => {
    if (cluster && !stopped) await cluster.stop();
  });

  it("boots an idle one-node cluster with its own config", async () => {
    expect(cluster.partition).toBe("debug");
    expect(cluster.env).toEqual({ SLURM_CONF: cluster.conf });
    expect(path.dirname(cluster.conf)).toBe(cluster.dir);
    expect(await readFile(path.join(cluster.dir, "gres.conf"), "utf8")).toContain("Name=gpu");
    expect(await slurm("sinfo", "-h", "-o", "%P|%n|%t|%G")).toBe(`debug*|${cluster.node}|idle|gpu:1`);
  });

  it("runs a batch job and writes its output", async () => {
    const id = await sbatch("-o", path.join(cluster.dir, "out-%j.txt"), "--wrap", "echo hello-$SLURM_JOB_ID");
    expect(id).toMatch(/^\d+$/);
    const out = path.join(cluster.dir, `out-${id}.txt`);
    await until("the job's output", async () => (existsSync(out) && (await readFile(out, "utf8")) !== "" ? true : undefined));
    expect(await readFile(out, "utf8")).toBe(`hello-${id}\n`);
    expect(await until("the job to complete", async () => ((await job(id)).state === "COMPLETED" ? job(id) : undefined))).toMatchObject({
      state: "COMPLETED",
      exitCode: "0:0",
    });
  });

  it("refuses more GPUs than the node has, with Slurm's message", async () => {
    await expect(sbatch("--gres=gpu:2", "--wrap", "echo hi")).rejects.toMatchObject({
      stderr: expect.stringContaining("Batch job submission failed: Requested node configuration is not available"),
    });
  });

  it("keeps a second GPU job pending while the only GPU is held, and scancel ends both", async () => {
    const holder = await sbatch("--gres=gpu:1", "-o", path.join(cluster.dir, "gpu-%j.txt"), "--wrap", "echo cuda=$CUDA_VISIBLE_DEVICES; sleep 300");
    await until("the GPU holder to run", async () => ((await queued(holder))?.includes("|RUNNING|") ? true : undefined));
    const waiter = await sbatch("--gres=gpu:1", "-o", "/dev/null", "--wrap", "sleep 300");
    const line = await until("the second job's pending reason", async () => {
      const seen = await queued(waiter);
      return seen?.includes("|PENDING|") && !seen.endsWith("|None") ? seen : undefined;
    });
    expect(line).toBe(`${waiter}|PENDING|Resources`);
    expect(await readFile(path.join(cluster.dir, `gpu-${holder}.txt`), "utf8")).toBe("cuda=0\n");

    await slurm("scancel", waiter, holder);
    await until("both jobs to leave the queue", async () => ((await slurm("squeue", "-h", "-j", `${holder},${waiter}`)) === "" ? true : undefined));
    expect(await job(holder)).toMatchObject({ state: "CANCELLED", exitCode: "0:15" });
    expect(await job(waiter)).toMatchObject({ state: "CANCELLED" });
  });

  it("lets a batch script's TERM trap end the job COMPLETED under scancel --signal=TERM --full", async () => {
    const script = path.join(cluster.dir, "trap.sh");
    await writeFile(script, "#!/bin/bash\ntrap 'echo got-term; exit 0' TERM\necho started\nwhile :; do sleep 1; done\n", { mode: 0o755 });
    const id = await sbatch("-o", path.join(cluster.dir, "trap-%j.txt"), script);
    const out = path.join(cluster.dir, `trap-${id}.txt`);
    await until("the script to start", async () => (existsSync(out) && (await readFile(out, "utf8")).includes("started") ? true : undefined));

    await slurm("scancel", "--signal=TERM", "--full", id);
    const ended = await until("the job to end", async () => {
      const seen = await job(id);
      return seen.state === "RUNNING" || seen.state === "COMPLETING" ? undefined : seen;
    });
    expect(ended).toMatchObject({ state: "COMPLETED", exitCode: "0:0" });
    expect(await readFile(out, "utf8")).toContain("got-term\n");
  });

  it("stop() ends slurmctld, slurmd and the jobs, and removes the directory", async () => {
    const ctld = Number(await readFile(path.join(cluster.dir, "slurmctld.pid"), "utf8"));
    const slurmd = Number(await readFile(path.join(cluster.dir, "slurmd.pid"), "utf8"));
    expect(readFileSync(`/proc/${ctld}/comm`, "utf8").trim()).toBe("slurmctld");
    expect(readFileSync(`/proc/${slurmd}/comm`, "utf8").trim()).toBe("slurmd");
    // A job still running at stop() must not outlive the cluster either.
    const id = await sbatch("-o", "/dev/null", "--wrap", "sleep 300");
    await until("the last job to run", async () => ((await queued(id))?.includes("|RUNNING|") ? true : undefined));

    const started = Date.now();
    await cluster.stop();
    stopped = true;
    console.info(`Slurm cluster stopped in ${Date.now() - started} ms`);
    expect([ctld, slurmd].filter(running)).toEqual([]);
    expect(withConf(cluster.conf)).toEqual([]);
    expect(existsSync(cluster.dir)).toBe(false);
  });
});
