import { mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Api } from "./api";
import { bytesFromEnv, fixed, GiB, mbPerSecond, missingTools, runCommand, sha256Of, skippedRow, timed, writeRandomFile, type Benchmark, type Row } from "./harness";
import { RssSampler, startServer } from "./server";

const RATIO_TARGET = 1.0;
const BUCKET = "exports";
const KEYS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

type S3rverServer = { run(): Promise<{ port: number }>; close(): Promise<void> };
type S3rverOptions = { port: number; address: string; silent: boolean; directory: string; configureBuckets: { name: string }[] };

/** `rclone copy` as a person would run it, configured only by environment (provider Other, path style). */
async function rcloneCopy(file: string, endpoint: string, prefix: string): Promise<void> {
  // The caller's AWS_* settings (a CA bundle, a profile) are not the test server's.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("AWS_") && !key.startsWith("RCLONE_")));
  const env = {
    ...inherited,
    RCLONE_CONFIG_BENCH_TYPE: "s3",
    RCLONE_CONFIG_BENCH_PROVIDER: "Other",
    RCLONE_CONFIG_BENCH_ENDPOINT: endpoint,
    RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: KEYS.accessKeyId,
    RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: KEYS.secretAccessKey,
    RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE: "true",
    RCLONE_CONFIG_BENCH_NO_CHECK_BUCKET: "true",
    NODE_ENV: "production" as const,
  };
  await runCommand("rclone", ["copy", file, `bench:${BUCKET}/${prefix}`], { env });
}

async function objectSha256(client: S3Client, key: string): Promise<string> {
  const object = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return sha256Of(object.Body as AsyncIterable<Uint8Array>);
}

type ExportItem = { id: string; status: string; message: string | null; createdAt: string; finishedAt: string | null };

export const exportBenchmark: Benchmark = {
  name: "export",
  summary: "export of a 1 GiB checkpoint to s3rver vs `rclone copy` of the same file to it",
  async run(ctx) {
    const missing = await missingTools(["rclone"], ctx.log);
    if (missing.length > 0) return { rows: [skippedRow("export", "export to s3rver (MB/s)", missing)] };
    const size = bytesFromEnv("BENCH_EXPORT_BYTES", GiB);
    const file = path.join(ctx.workDir, "model.bin");
    ctx.log(`writing ${fixed(size / GiB, 2)} GiB of random data`);
    const sha256 = await writeRandomFile(file, size);
    await mkdir(path.join(ctx.workDir, "s3"), { recursive: true });
    const S3rver = createRequire(path.join(ctx.root, "package.json"))("s3rver") as new (options: S3rverOptions) => S3rverServer;
    const s3rver = new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory: path.join(ctx.workDir, "s3"), configureBuckets: [{ name: BUCKET }] });
    const endpoint = `http://127.0.0.1:${(await s3rver.run()).port}`;
    const server = await startServer(ctx.root, path.join(ctx.workDir, "data"), ctx.log, { CAIRN_ALLOW_PRIVATE_SOURCES: "127.0.0.1/32" });
    const client = new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, credentials: KEYS });
    try {
      const { api } = await Api.signUp(server.url);
      const checkpointId = await api.createLocalCheckpoint("bench-export");
      await api.putFile(checkpointId, "model.bin", file, size);
      await api.commit(checkpointId);
      await api.createS3Connection("s3rver", endpoint, KEYS);

      ctx.log("rclone copy …");
      const rclone = await timed(() => rcloneCopy(file, endpoint, "rclone/"));
      if ((await objectSha256(client, "rclone/model.bin")) !== sha256) throw new Error("rclone's copy differs from the source");

      ctx.log("Cairn export …");
      const sampler = new RssSampler(server);
      sampler.start();
      const { id } = await api.json<{ id: string }>("POST", `/api/v1/checkpoints/${checkpointId}/export`, { connection: "s3rver", destinationPath: `${BUCKET}/cairn/` });
      let item: ExportItem | undefined;
      for (;;) {
        const { items } = await api.json<{ items: ExportItem[] }>("GET", `/api/v1/checkpoints/${checkpointId}/exports`);
        item = items.find((e) => e.id === id);
        if (item?.status === "succeeded" || item?.status === "failed") break;
        await sleep(100);
      }
      const rss = sampler.stop();
      if (item.status !== "succeeded" || !item.finishedAt) throw new Error(`the export failed: ${item.message}`);
      if ((await objectSha256(client, "cairn/model.bin")) !== sha256) throw new Error("the exported object differs from the source");
      // The server's own clock, from the POST's row to the last byte acknowledged: queueing included.
      const exportMs = new Date(item.finishedAt).getTime() - new Date(item.createdAt).getTime();
      const cairnMbps = mbPerSecond(size, exportMs);
      const rcloneMbps = mbPerSecond(size, rclone.ms);
      const ratio = cairnMbps / rcloneMbps;
      const rows: Row[] = [
        { benchmark: "export", metric: "export to s3rver (MB/s)", value: fixed(cairnMbps), baseline: `rclone ${fixed(rcloneMbps)}`, ratio, target: `≥ ${RATIO_TARGET}`, pass: ratio >= RATIO_TARGET },
        { benchmark: "export", metric: "server RSS growth (MB)", value: fixed(rss.growth / 1e6), baseline: `${fixed(rss.baseline / 1e6)} before` },
      ];
      return {
        rows,
        notes: [
          `${fixed(size / GiB, 2)} GiB, one file; both copies verified by SHA-256 after the run; Cairn's time is the export row's createdAt → finishedAt (queue pickup included).`,
        ],
      };
    } finally {
      client.destroy();
      await server.stop();
      await s3rver.close();
    }
  },
};
