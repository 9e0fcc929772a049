import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer, type AddressInfo, type Socket } from "node:net";
import os from "node:os";
import path from "node:path";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { apiToken, expect, test, uniqueName } from "./fixtures";

// s3rver ships no types; the slice of its API this spec uses.
type S3rverServer = { run(): Promise<{ port: number }>; close(): Promise<void> };
type S3rverOptions = { port: number; address: string; silent: boolean; directory: string; configureBuckets: { name: string }[] };
const S3rver = createRequire(path.join(process.cwd(), "package.json"))("s3rver") as new (options: S3rverOptions) => S3rverServer;

const files: Record<string, Buffer> = {
  "config.json": Buffer.from('{"model_type":"llama","hidden_size":4096}\n'),
  "tokenizer/tokenizer.json": Buffer.from(JSON.stringify({ version: "1.0", vocab: { a: 1 } })),
  "model.safetensors": randomBytes(6 * 1024 * 1024 + 11),
};

let server: S3rverServer;
let endpoint = "";
let work = "";

test.beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), "cairn-e2e-export-"));
  server = new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory: path.join(work, "s3"), configureBuckets: [{ name: "exports" }] });
  endpoint = `http://127.0.0.1:${(await server.run()).port}`;
});
test.afterAll(async () => {
  await server?.close();
  await rm(work, { recursive: true, force: true });
});

/** Unpacks into a fresh directory and checks every file, and that there are no others. */
function expectSameTree(dir: string) {
  for (const [filePath, bytes] of Object.entries(files)) {
    expect(execFileSync("cmp", ["-", path.join(dir, filePath)], { input: bytes }).length).toBe(0);
  }
  expect(execFileSync("find", [dir, "-type", "f"], { encoding: "utf8" }).trim().split("\n")).toHaveLength(Object.keys(files).length);
}

test("export to an S3 connection from the detail page, then Download all as zip and tar", async ({ page, request }) => {
  test.setTimeout(180_000);
  const token = await apiToken(request);
  const auth = { authorization: `Bearer ${token}` };
  const name = uniqueName("export-e2e");
  const connection = uniqueName("s3rver");
  expect((await request.post("/api/v1/checkpoints", { headers: auth, data: { name, sourceType: "local" } })).status()).toBe(201);
  for (const [filePath, bytes] of Object.entries(files)) {
    const put = await request.put(`/api/v1/checkpoints/${name}/files/${filePath}`, { headers: auth, data: bytes });
    expect(put.status()).toBe(201);
  }
  expect((await request.post(`/api/v1/checkpoints/${name}/commit`, { headers: auth })).status()).toBe(200);
  const created = await request.post("/api/v1/connections", {
    headers: auth,
    data: { name: connection, provider: "s3", config: { endpoint, forcePathStyle: true }, secret: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } },
  });
  expect(created.status()).toBe(201);

  await page.goto(`/checkpoints/${name}`);
  await expect(page.getByRole("heading", { name: "Past exports" })).toBeVisible();
  await expect(page.getByText("Not exported yet.")).toBeVisible();
  await page.getByRole("button", { name: "Export", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Export checkpoint" });
  await dialog.getByLabel("Connection").selectOption(connection);
  const destination = dialog.getByLabel("Destination path");
  await destination.fill("s3://exports/x");
  await destination.blur();
  await expect(dialog.getByText("Leave out the scheme (s3://).", { exact: false })).toBeVisible();
  await page.screenshot({ path: "/tmp/export-dialog-invalid.png" });
  await destination.fill(`exports/e2e/${name}/`);
  await dialog.getByRole("button", { name: "Start export" }).click();
  await expect(dialog).toBeHidden();

  const row = page.getByRole("listitem", { name: `Export to exports/e2e/${name}/` });
  await expect(row).toBeVisible();
  await expect(row.getByText("Succeeded")).toBeVisible({ timeout: 60_000 });
  await expect(row.getByText(/^3 files, 6(\.\d+)? MB$/)).toBeVisible();
  const after = await (await request.get(`/api/v1/checkpoints/${name}`, { headers: auth })).json();
  expect(after.status.status).toBe("ready");
  await page.screenshot({ path: "/tmp/export-detail-done.png", fullPage: true });

  const s3 = new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } });
  for (const [filePath, bytes] of Object.entries(files)) {
    const object = await s3.send(new GetObjectCommand({ Bucket: "exports", Key: `e2e/${name}/${filePath}` }));
    const body = Buffer.from((await object.Body?.transformToByteArray()) ?? []);
    expect(body.equals(bytes), filePath).toBe(true);
  }
  s3.destroy();

  for (const format of ["zip", "tar"] as const) {
    await page.getByText("Download all").click();
    await page.screenshot({ path: `/tmp/export-download-menu.png` });
    const download = page.waitForEvent("download");
    await page.getByRole("link", { name: `Download as .${format}` }).click();
    const saved = await download;
    expect(saved.suggestedFilename()).toBe(`${name}.${format}`);
    const archivePath = path.join(work, `all.${format}`);
    await saved.saveAs(archivePath);
    const into = await mkdtemp(path.join(work, `${format}-`));
    if (format === "zip") execFileSync("unzip", ["-q", archivePath, "-d", into]);
    else execFileSync("tar", ["-xf", archivePath, "-C", into]);
    expectSameTree(into);
    expect((await readFile(archivePath)).length).toBeGreaterThan(6 * 1024 * 1024);
    await page.getByText("Download all").click();
  }
});

test("a running export shows its progress and the checkpoint as exporting; a failed one says why", async ({ page, request }) => {
  test.setTimeout(180_000);
  // An endpoint that accepts connections and never answers: the export stays running until it goes.
  const sockets = new Set<Socket>();
  const stall = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => stall.listen(0, "127.0.0.1", resolve));
  const port = (stall.address() as AddressInfo).port;
  const auth = { authorization: `Bearer ${await apiToken(request)}` };
  const name = uniqueName("export-slow");
  const connection = uniqueName("stall");
  await request.post("/api/v1/checkpoints", { headers: auth, data: { name, sourceType: "local" } });
  await request.put(`/api/v1/checkpoints/${name}/files/config.json`, { headers: auth, data: files["config.json"] });
  await request.post(`/api/v1/checkpoints/${name}/commit`, { headers: auth });
  await request.post("/api/v1/connections", {
    headers: auth,
    data: { name: connection, provider: "s3", config: { endpoint: `http://127.0.0.1:${port}` }, secret: { accessKeyId: "a", secretAccessKey: "b" } },
  });
  const started = await request.post(`/api/v1/checkpoints/${name}/export`, { headers: auth, data: { connection, destinationPath: "stalled/run/" } });
  expect(started.status()).toBe(202);

  await page.goto(`/checkpoints/${name}`);
  const row = page.getByRole("listitem", { name: "Export to stalled/run/" });
  await expect(row.getByText("Running")).toBeVisible({ timeout: 30_000 });
  await expect(row.getByRole("progressbar", { name: "Export to stalled/run/" })).toBeVisible();
  await expect(row.getByText("0 B of 42 B · 0 of 1 files")).toBeVisible();
  await expect(page.getByText("Exporting", { exact: true })).toBeVisible();
  // Downloads keep working while it runs.
  const file = await request.get(`/api/v1/checkpoints/${name}/files/config.json`, { headers: auth });
  expect(Buffer.from(await file.body()).equals(files["config.json"])).toBe(true);
  await page.screenshot({ path: "/tmp/export-running.png", fullPage: true });

  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => stall.close(() => resolve()));
  await expect(row.getByText("Failed")).toBeVisible({ timeout: 120_000 });
  await expect(row.getByText(/Could not reach the storage service for s3:\/\/stalled\/run\/ \((ECONNREFUSED|ECONNRESET)\)/)).toBeVisible();
  const after = await (await request.get(`/api/v1/checkpoints/${name}`, { headers: auth })).json();
  expect(after.status.status).toBe("ready");
  await page.screenshot({ path: "/tmp/export-failed.png", fullPage: true });
});
