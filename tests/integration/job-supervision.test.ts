import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { insertAttachments, insertJob, listJobLogs, findJobById } from "@/lib/db/queries/jobs";
import { takeLease } from "@/lib/db/queries/leases";
import { AGENT_LOST, JobSupervisor, superviseJobs } from "@/lib/jobs/supervisor";
import { LocalRunner } from "@/lib/jobs/runners/local";
import { eventually, readyCheckpoint, testDatabases, useApiSuite } from "../helpers/api-suite";

const root = path.resolve(import.meta.dirname, "../..");

describe.each(testDatabases)("job supervision on %s", (kind) => {
  const suite = useApiSuite(kind, { users: ["supervise"], env: { CAIRN_AGENT_LOST_SECONDS: "30" } });
  const { supervise: user } = suite.users;
  let seed: string;

  beforeAll(async () => {
    seed = await readyCheckpoint(user, "seed", { "w.bin": "w" });
  });

  /** A running local job as an agent on another machine left it, its last heartbeat `agoMs` ago. */
  const runningJob = async (name: string, agoMs: number) => {
    const at = new Date(Date.now() - agoMs);
    const job = await insertJob(suite.database.db, {
      orgId: user.orgId,
      name,
      type: "training",
      status: "running",
      command: ["true"],
      envCiphertext: "v1:",
      creatorUserId: user.id,
      runner: "local",
      runnerInstance: "another-machine",
      runnerJobId: "4242",
      submittedAt: at,
      startedAt: at,
      heartbeatAt: at,
    });
    await insertAttachments(suite.database.db, [{ jobId: job.id, checkpointId: seed, position: 0, mountName: "seed" }]);
    return job;
  };
  const failures = async (jobId: string) => (await listJobLogs(suite.database.db, { jobId, limit: 100 })).filter((l) => l.message.startsWith("Failed:")).length;

  it("fails a running job whose agent went silent as 'agent lost', leaves a live one and the lost one's files alone", async () => {
    const lost = await runningJob("went-silent", 60_000);
    const live = await runningJob("still-beating", 2_000);
    const outputs = path.join(suite.dataDir, "jobs", lost.id, "outputs", "step-1");
    mkdirSync(outputs, { recursive: true });
    writeFileSync(path.join(outputs, "w.bin"), "trained for a day");
    await superviseJobs(suite.database.db, new LocalRunner());
    const failed = await findJobById(suite.database.db, { id: lost.id });
    expect(failed).toMatchObject({ status: "failed", statusMessage: AGENT_LOST });
    expect(failed?.message).toMatch(/^The job's agent stopped reporting 6\d s ago\. Its files are kept where they are/);
    expect(existsSync(path.join(outputs, "w.bin"))).toBe(true);
    expect((await findJobById(suite.database.db, { id: live.id }))?.status).toBe("running");
    // A second pass changes nothing: the job was failed once.
    await superviseJobs(suite.database.db, new LocalRunner());
    expect(await failures(lost.id)).toBe(1);
  });

  it("lets one process at a time supervise, and another take over once the holder lets go", async () => {
    const first = new JobSupervisor();
    const second = new JobSupervisor();
    expect(await first.tick()).toBe(true);
    expect(await second.tick()).toBe(false);
    expect(await first.tick()).toBe(true);
    await first.stop();
    expect(await second.tick()).toBe(true);
    expect(await takeLease(suite.database.db, { name: "job-supervision", holder: first.holder, seconds: 20 })).toBe(false);
    await second.stop();
  });

  if (kind === "postgres") {
    it("supervises each job once with two processes, and none is forgotten when the holder dies", async () => {
      const url = suite.database.url;
      if (!url) throw new Error("no database url");
      const spawnSupervisor = () => {
        const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "tests/fixtures/supervisor-process.ts")], {
          cwd: root,
          env: { ...process.env, DATABASE_URL: url, CAIRN_AGENT_LOST_SECONDS: "30", TSX_TSCONFIG_PATH: path.join(root, "tsconfig.json") },
          stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        child.stdout?.on("data", (chunk: Buffer) => (out += chunk.toString()));
        child.stderr?.on("data", (chunk: Buffer) => (out += chunk.toString()));
        return { child, out: () => out };
      };
      const processes = [spawnSupervisor(), spawnSupervisor()];
      const kill = (child: ChildProcess) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGKILL");
        });
      try {
        await eventually("both processes to be up and one to supervise", async () => processes.every((p) => p.out().includes("ready")) && processes.some((p) => p.out().includes("supervised")));
        const batch = await Promise.all([1, 2, 3, 4].map((n) => runningJob(`silent-${n}`, 90_000)));
        await eventually("every silent job to fail", async () => (await Promise.all(batch.map((j) => findJobById(suite.database.db, { id: j.id })))).every((j) => j?.status === "failed"));
        for (const job of batch) expect(await failures(job.id)).toBe(1);
        const holder = processes.find((p) => p.out().includes("supervised"));
        const other = processes.find((p) => p !== holder);
        if (!holder || !other) throw new Error("no holder");
        expect(other.out()).not.toContain("supervised");
        await kill(holder.child);
        const orphan = await runningJob("after-the-holder-died", 90_000);
        await eventually("the other process to take over and fail it", async () => (await findJobById(suite.database.db, { id: orphan.id }))?.status === "failed", 45_000);
        expect(other.out()).toContain("supervised");
        expect(await failures(orphan.id)).toBe(1);
      } finally {
        for (const p of processes) await kill(p.child);
      }
    }, 90_000);
  }
});
