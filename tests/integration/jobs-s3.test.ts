import { createHash, randomBytes } from "node:crypto";
import { stat } from "node:fs/promises";
import path from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobResponse } from "@/lib/api/schemas/jobs";
import { pruneJobCache } from "@/lib/jobs/mounts";
import { jobScheduler } from "@/lib/jobs/scheduler";
import { setBlobStore } from "@/lib/storage";
import { S3BlobStore } from "@/lib/storage/s3-store";
import { json, useTempDataDir } from "../helpers/api";
import { signUpWithToken, type TestUser } from "../helpers/accounts";
import { openTestDatabase, type TestDatabase } from "../helpers/db";
import { finished, jobSandbox, launch, logText, readyCheckpoint } from "../helpers/jobs";
import { startS3rver } from "../helpers/s3";

const sha = (data: Buffer) => createHash("sha256").update(data).digest("hex");

describe("jobs with the S3 blob store", () => {
  let database: TestDatabase;
  let data: ReturnType<typeof useTempDataDir>;
  let sandbox: ReturnType<typeof jobSandbox>;
  let s3: Awaited<ReturnType<typeof startS3rver>>;
  let client: S3Client;
  let user: TestUser;
  const weights = randomBytes(200_000);

  beforeAll(async () => {
    data = useTempDataDir();
    sandbox = jobSandbox(data.dir);
    s3 = await startS3rver(["cairn-jobs"]);
    client = new S3Client({
      endpoint: s3.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
    setBlobStore(new S3BlobStore({ bucket: "cairn-jobs", forcePathStyle: true, region: "us-east-1", stagingDir: path.join(data.dir, "staging"), client }));
    database = await openTestDatabase("pglite");
    user = await signUpWithToken("s3jobs");
    await readyCheckpoint(user, "s3-base", { "w.bin": weights });
  });
  afterAll(async () => {
    await jobScheduler().idle();
    await database.close();
    setBlobStore(undefined);
    client.destroy();
    await s3.stop();
    data.cleanup();
  });

  it("brings blobs through one local cache that later and concurrent jobs share", async () => {
    const expected = JSON.stringify({ "s3-base/w.bin": sha(weights) });
    const run = async (name: string) => {
      const job = await json<JobResponse>(
        await launch(user, { name, type: "inference", command: [process.execPath, sandbox.script, "verify"], checkpoints: [{ ref: "s3-base" }], env: { EXPECTED_SHA256: expected } }),
      );
      return finished(user, job.id);
    };
    const [a, b] = await Promise.all([run("s3-a"), run("s3-b")]);
    expect([a.status, b.status]).toEqual(["succeeded", "succeeded"]);
    expect(await logText(user, "s3-a")).toContain("stdout: match s3-base/w.bin");
    const cached = path.join(data.dir, "job-cache", sha(weights).slice(0, 2), sha(weights));
    const first = await stat(cached);
    expect(first.size).toBe(weights.length);
    expect(first.mode & 0o777).toBe(0o444);
    const c = await run("s3-c");
    expect(c.status).toBe("succeeded");
    const second = await stat(cached);
    // Same inode: the third job linked the cached copy instead of downloading again.
    expect(second.ino).toBe(first.ino);
    expect(await logText(user, "s3-c")).toContain("stdout: match s3-base/w.bin");

    // Every job has let go of it (settling removes a job's linked inputs just after its status is final):
    // a recent copy stays, an idle one goes.
    await jobScheduler().idle();
    const cacheDir = path.join(data.dir, "job-cache");
    expect(await pruneJobCache(cacheDir, 60_000)).toBe(0);
    expect(await pruneJobCache(cacheDir, 0)).toBe(1);
    await expect(stat(cached)).rejects.toThrow();
  });
});
