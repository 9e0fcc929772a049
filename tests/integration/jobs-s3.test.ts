import { randomBytes } from "node:crypto";
import { stat } from "node:fs/promises";
import path from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobResponse } from "@/lib/api/schemas/jobs";
import { setBlobStore } from "@/lib/storage";
import { S3BlobStore } from "@/lib/storage/s3-store";
import { json, readyCheckpoint, sha256 as sha, useApiSuite } from "../helpers/api-suite";
import { finished, jobSandbox, launch, logText, settleJobs } from "../helpers/jobs";
import { startS3rver } from "../helpers/s3";

describe("jobs with the S3 blob store", () => {
  let sandbox: ReturnType<typeof jobSandbox>;
  let s3: Awaited<ReturnType<typeof startS3rver>>;
  let client: S3Client;
  const weights = randomBytes(200_000);

  // Registered before the suite's hooks: the store outlives the suite's last agents.
  beforeAll(async () => {
    s3 = await startS3rver(["cairn-jobs"]);
    client = new S3Client({
      endpoint: s3.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
  });
  afterAll(async () => {
    setBlobStore(undefined);
    client.destroy();
    await s3.stop();
  });
  // Room for one of the two checkpoints' blobs: the second evicts the first once no job holds it.
  const suite = useApiSuite("pglite", { users: ["s3jobs"], jobs: { env: { CAIRN_CACHE_MAX_BYTES: "250000" } } });
  const { s3jobs: user } = suite.users;
  beforeAll(async () => {
    sandbox = jobSandbox(suite.dataDir);
    // After the suite's data directory, which resets the store to the default one.
    setBlobStore(new S3BlobStore({ bucket: "cairn-jobs", forcePathStyle: true, region: "us-east-1", stagingDir: path.join(suite.dataDir, "staging"), client }));
    await readyCheckpoint(user, "s3-base", { "w.bin": weights });
  });

  it("brings blobs through one node cache that later and concurrent jobs share, verified, evicted LRU", async () => {
    const run = async (name: string, ref: string, files: Record<string, Buffer>) => {
      const expected = JSON.stringify(Object.fromEntries(Object.entries(files).map(([file, body]) => [`${ref}/${file}`, sha(body)])));
      const job = await json<JobResponse>(
        await launch(user, { name, type: "inference", command: [process.execPath, sandbox.script, "verify"], checkpoints: [{ ref }], env: { EXPECTED_SHA256: expected } }),
      );
      return finished(user, job.id);
    };
    const fetched = async (name: string) => Number(/(\d+) bytes fetched/.exec(await logText(user, name))?.[1] ?? "NaN");
    const [a, b] = await Promise.all([run("s3-a", "s3-base", { "w.bin": weights }), run("s3-b", "s3-base", { "w.bin": weights })]);
    expect([a.status, b.status]).toEqual(["succeeded", "succeeded"]);
    expect(await logText(user, "s3-a")).toContain("stdout: match s3-base/w.bin");
    // Two agents filling the cache at once fetched the blob once between them.
    expect((await fetched("s3-a")) + (await fetched("s3-b"))).toBe(weights.length);
    const cached = path.join(suite.dataDir, "job-cache", "blobs", sha(weights).slice(0, 2), sha(weights));
    const first = await stat(cached);
    expect(first.size).toBe(weights.length);
    expect(first.mode & 0o777).toBe(0o444);
    const c = await run("s3-c", "s3-base", { "w.bin": weights });
    expect(c.status).toBe("succeeded");
    expect(await fetched("s3-c")).toBe(0);
    // Same inode: the third job linked the cached copy instead of downloading again.
    expect((await stat(cached)).ino).toBe(first.ino);
    await settleJobs(suite.database.db);

    const other = randomBytes(150_000);
    await readyCheckpoint(user, "s3-other", { "o.bin": other });
    const d = await run("s3-d", "s3-other", { "o.bin": other });
    expect(d.status).toBe("succeeded");
    expect(await fetched("s3-d")).toBe(other.length);
    // Over the limit, the least recently used blob no job holds went; the one in use stayed.
    await expect(stat(cached)).rejects.toThrow();
    expect((await stat(path.join(suite.dataDir, "job-cache", "blobs", sha(other).slice(0, 2), sha(other)))).size).toBe(other.length);
  });
});
