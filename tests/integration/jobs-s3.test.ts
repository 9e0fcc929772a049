import { createHash, randomBytes } from "node:crypto";
import { stat } from "node:fs/promises";
import path from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobResponse } from "@/lib/api/schemas/jobs";
import { setBlobStore } from "@/lib/storage";
import { S3BlobStore } from "@/lib/storage/s3-store";
import { json, useTempDataDir } from "../helpers/api";
import type { ApiServer } from "../helpers/api-server";
import { signUpWithToken, type TestUser } from "../helpers/accounts";
import { openTestDatabase, type TestDatabase } from "../helpers/db";
import { finished, jobSandbox, launch, logText, readyCheckpoint, settleJobs, useJobRunner } from "../helpers/jobs";
import { startS3rver } from "../helpers/s3";

const sha = (data: Buffer) => createHash("sha256").update(data).digest("hex");

describe("jobs with the S3 blob store", () => {
  let database: TestDatabase;
  let server: ApiServer;
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
    // Room for one of the two checkpoints' blobs: the second evicts the first once no job holds it.
    server = await useJobRunner("local", { CAIRN_CACHE_MAX_BYTES: "250000" });
    user = await signUpWithToken("s3jobs");
    await readyCheckpoint(user, "s3-base", { "w.bin": weights });
  });
  afterAll(async () => {
    await settleJobs(database.db);
    await server.close();
    delete process.env.CAIRN_CACHE_MAX_BYTES;
    await database.close();
    setBlobStore(undefined);
    client.destroy();
    await s3.stop();
    data.cleanup();
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
    const cached = path.join(data.dir, "job-cache", "blobs", sha(weights).slice(0, 2), sha(weights));
    const first = await stat(cached);
    expect(first.size).toBe(weights.length);
    expect(first.mode & 0o777).toBe(0o444);
    const c = await run("s3-c", "s3-base", { "w.bin": weights });
    expect(c.status).toBe("succeeded");
    expect(await fetched("s3-c")).toBe(0);
    // Same inode: the third job linked the cached copy instead of downloading again.
    expect((await stat(cached)).ino).toBe(first.ino);
    await settleJobs(database.db);

    const other = randomBytes(150_000);
    await readyCheckpoint(user, "s3-other", { "o.bin": other });
    const d = await run("s3-d", "s3-other", { "o.bin": other });
    expect(d.status).toBe("succeeded");
    expect(await fetched("s3-d")).toBe(other.length);
    // Over the limit, the least recently used blob no job holds went; the one in use stayed.
    await expect(stat(cached)).rejects.toThrow();
    expect((await stat(path.join(data.dir, "job-cache", "blobs", sha(other).slice(0, 2), sha(other)))).size).toBe(other.length);
  });
});
