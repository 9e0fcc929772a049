// Depends on the export API (POST …/export, GET …/exports) and the jobs API (POST/GET /jobs,
// GET /jobs/{ref}/logs), built on other branches; passes once they are merged. The server must
// be allowed to reach loopback peers (CAIRN_ALLOW_PRIVATE_SOURCES=127.0.0.0/8 in webServer.env).
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { BlobServiceClient } from "@azure/storage-blob";
import { expect, test } from "./fixtures";
import { cairn, newUser, tempDir, writeRandomFile, type CliEnv } from "./cli-helpers";

// tests/helpers' peers use import.meta, which Playwright's CommonJS transform rejects; these are
// the same peers, started relative to the project instead.
const repoRoot = () => path.resolve(test.info().project.testDir, "..");

type S3rverServer = { run(): Promise<{ port: number }>; close(): Promise<void> };
type S3rverOptions = { port: number; address: string; silent: boolean; directory: string; configureBuckets: { name: string }[] };

async function startS3rver(buckets: string[]) {
  const S3rver = createRequire(path.join(repoRoot(), "package.json"))("s3rver") as new (options: S3rverOptions) => S3rverServer;
  const directory = await mkdtemp(path.join(os.tmpdir(), "cairn-s3rver-"));
  const server = new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory, configureBuckets: buckets.map((name) => ({ name })) });
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async stop() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

const AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

async function startAzurite() {
  const cwd = await mkdtemp(path.join(os.tmpdir(), "cairn-azurite-"));
  const bin = path.join(repoRoot(), "node_modules", ".bin", "azurite-blob");
  const child = spawn(bin, ["--blobHost", "127.0.0.1", "--blobPort", "0", "--inMemoryPersistence", "--skipApiVersionCheck", "--loose", "--silent", "--disableTelemetry"], {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Azurite did not start within 20 s:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /successfully listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
  });
  const accountUrl = `http://127.0.0.1:${port}/devstoreaccount1`;
  return {
    accountUrl,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${AZURITE_KEY};BlobEndpoint=${accountUrl};`,
    async stop() {
      child.kill("SIGTERM");
      await rm(cwd, { recursive: true, force: true });
    },
  };
}

test.use({ storageState: { cookies: [], origins: [] } });
test.describe.configure({ mode: "serial" });

let env: CliEnv;
let user: Awaited<ReturnType<typeof newUser>>;
let work: string;
const name = `cli-exp-${Date.now().toString(36)}`;
const local: Record<string, Buffer> = {};

test.beforeAll(async ({ request, baseURL }) => {
  user = await newUser(request, "cli-exp");
  work = await tempDir("cli-exp");
  env = { server: baseURL ?? "", token: user.token, configHome: path.join(work, "config") };
  const dir = path.join(work, "model");
  await mkdir(path.join(dir, "sub"), { recursive: true });
  await writeFile(path.join(dir, "config.json"), '{"layers": 2}');
  await writeRandomFile(path.join(dir, "sub", "weights.bin"), 9 * 1024 * 1024 + 7);
  const push = await cairn(["checkpoint", "push", name, "--file", dir], env);
  expect(push.code, push.stderr).toBe(0);
  local["config.json"] = await readFile(path.join(dir, "config.json"));
  local["sub/weights.bin"] = await readFile(path.join(dir, "sub", "weights.bin"));
});

test.afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

test("connection create/list/delete, export to s3rver with every object's bytes, and push back from it", async () => {
  const s3 = await startS3rver(["cli-export"]);
  try {
    const conn = `s3-${Date.now().toString(36)}`;
    const created = await cairn(
      ["connection", "create", conn, "--provider", "s3", "--config", `endpoint=${s3.endpoint}`, "--config", "region=us-east-1", "--config", "forcePathStyle=true",
        "--secret", "accessKeyId=S3RVER", "--secret", "secretAccessKey=S3RVER"],
      env,
    );
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain(`Created s3 connection '${conn}'`);
    const listed = await cairn(["connection", "list"], env);
    expect(listed.stdout.split("\n")[0].split("|").map((c) => c.trim())).toEqual(["NAME", "PROVIDER", "CREATED AT"]);
    expect(listed.stdout).toMatch(new RegExp(`^${conn}\\s+\\| s3 `, "m"));

    const exported = await cairn(["checkpoint", "export", name, "--storage-provider", conn, "--destination-path", "cli-export/run-1/"], env);
    expect(exported.code, exported.stderr).toBe(0);
    const client = new S3Client({ endpoint: s3.endpoint, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } });
    const objects = await client.send(new ListObjectsV2Command({ Bucket: "cli-export", Prefix: "run-1/" }));
    expect((objects.Contents ?? []).map((o) => o.Key).sort()).toEqual(["run-1/config.json", "run-1/sub/weights.bin"]);
    for (const [rel, bytes] of Object.entries(local)) {
      const object = await client.send(new GetObjectCommand({ Bucket: "cli-export", Key: `run-1/${rel}` }));
      expect(Buffer.from(await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()).equals(bytes), rel).toBe(true);
    }

    // And back: a checkpoint pushed from that prefix through the connection, followed to ready.
    const back = `${name}-back`;
    const pushed = await cairn(["checkpoint", "push", back, "--storage-provider", conn, "--source-path", "cli-export/run-1/", "--json"], env);
    expect(pushed.code, pushed.stderr).toBe(0);
    const checkpoint = JSON.parse(pushed.stdout) as { spec: { sourceUri: string }; status: { status: string; files?: { path: string }[] } };
    expect(checkpoint.spec.sourceUri).toBe("s3://cli-export/run-1/");
    expect(checkpoint.status.status).toBe("ready");
    const fetched = path.join(work, "back");
    expect((await cairn(["checkpoint", "fetch", back, "-d", fetched], env)).code).toBe(0);
    for (const [rel, bytes] of Object.entries(local)) expect((await readFile(path.join(fetched, rel))).equals(bytes), rel).toBe(true);
    expect((await cairn(["checkpoint", "delete", back, "--yes"], env)).code).toBe(0);

    const refused = await cairn(["connection", "delete", conn], env);
    expect(refused.code).toBe(1);
    const deleted = await cairn(["connection", "delete", conn, "--yes"], env);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect((await cairn(["connection", "list", "--json"], env)).stdout).not.toContain(conn);
  } finally {
    await s3.stop();
  }
});

test("export to Azurite, and --no-wait returns the queued export", async () => {
  const azurite = await startAzurite();
  try {
    const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
    await service.getContainerClient("exports").createIfNotExists();
    const conn = `az-${Date.now().toString(36)}`;
    const created = await cairn(
      ["connection", "create", conn, "--provider", "azure", "--config", `endpoint=${azurite.accountUrl}`, "--config", "accountName=devstoreaccount1",
        "--secret", `connectionString=${azurite.connectionString}`],
      env,
    );
    expect(created.code, created.stderr).toBe(0);
    const exported = await cairn(["checkpoint", "export", name, "--storage-provider", conn, "--destination-path", "exports/ckpt/"], env);
    expect(exported.code, exported.stderr).toBe(0);
    const container = service.getContainerClient("exports");
    for (const [rel, bytes] of Object.entries(local)) {
      expect((await container.getBlobClient(`ckpt/${rel}`).downloadToBuffer()).equals(bytes), rel).toBe(true);
    }
    const queued = await cairn(["checkpoint", "export", name, "--storage-provider", conn, "--destination-path", "exports/again/", "--no-wait", "--json"], env);
    expect(queued.code, queued.stderr).toBe(0);
    expect(JSON.parse(queued.stdout)).toMatchObject({ id: expect.any(String), status: expect.any(String) });
  } finally {
    await azurite.stop();
  }
});

test("export to a connection that does not exist exits non-zero with the API's message", async () => {
  const result = await cairn(["checkpoint", "export", name, "--storage-provider", "no-such-conn", "--destination-path", "b/p/"], env);
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/^error: .+/);
});

test("job run with a checkpoint and env, then logs --follow until it finishes", async () => {
  const job = `cli-job-${Date.now().toString(36)}`;
  const run = await cairn(
    ["job", "run", job, "--checkpoint", name, "--env", "GREETING=hello-from-cli", "--", "sh", "-c", 'echo "$GREETING"; ls "$FLEXAI_INPUT_CHECKPOINT_DIR"; cat "$TRAINML_CHECKPOINT_PATH/config.json"'],
    env,
  );
  expect(run.code, run.stderr).toBe(0);
  expect(run.stdout).toContain(`Job '${job}'`);
  const logs = await cairn(["job", "logs", job, "--follow"], env);
  expect(logs.code, logs.stderr).toBe(0);
  expect(logs.stdout).toContain("hello-from-cli");
  expect(logs.stdout).toContain(name);
  expect(logs.stdout).toContain('{"layers": 2}');
  expect(logs.stderr).toContain(`Job '${job}' succeeded`);

  const missing = await cairn(["job", "logs", "no-such-job"], env);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toMatch(/^error: .+/);
});
