import { createHash, randomBytes } from "node:crypto";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createTcpServer, connect, type AddressInfo } from "node:net";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { Page } from "@playwright/test";
import { startS3rver } from "../tests/helpers/s3";
import { apiToken, expect, test, uniqueName } from "./fixtures";

const sha = (data: Buffer) => createHash("sha256").update(data).digest("hex");
const MiB = 1024 * 1024;
const BUCKET = "e2e-models";

/** What the bucket holds under `llama/` (plus one object outside it that must not be ingested). */
const TREE: Record<string, Buffer> = {
  "config.json": Buffer.from('{"model_type":"llama","hidden_size":4096}'),
  "tokenizer/tokenizer.json": Buffer.from(JSON.stringify({ version: "1.0", vocab: { a: 1, b: 2 } })),
  "model.safetensors": randomBytes(6 * MiB + 4321),
};

/**
 * A TCP relay in front of s3rver that hands out at most `bytesPerSecond` over all its connections,
 * as a slow link would: a loopback S3 is otherwise done before the page can show any progress.
 */
async function startThrottledRelay(target: URL, bytesPerSecond: number) {
  let nextFree = Date.now();
  const server = createTcpServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    client.pipe(upstream);
    upstream.on("data", (chunk: Buffer) => {
      upstream.pause();
      const now = Date.now();
      const start = Math.max(now, nextFree);
      nextFree = start + (chunk.length / bytesPerSecond) * 1000;
      setTimeout(() => {
        if (!client.destroyed) client.write(chunk);
        upstream.resume();
      }, start - now);
    });
    upstream.on("end", () => setTimeout(() => client.end(), Math.max(0, nextFree - Date.now()) + 5));
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close);
    upstream.on("error", close);
    client.on("close", () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let s3: Awaited<ReturnType<typeof startS3rver>>;
let relay: Awaited<ReturnType<typeof startThrottledRelay>>;

test.beforeAll(async () => {
  s3 = await startS3rver([BUCKET]);
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    requestChecksumCalculation: "WHEN_REQUIRED",
  });
  for (const [key, body] of Object.entries(TREE)) await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `llama/${key}`, Body: body }));
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: "other/not-included.bin", Body: Buffer.from("elsewhere") }));
  client.destroy();
  relay = await startThrottledRelay(new URL(s3.endpoint), 1.5 * MiB);
});

test.afterAll(async () => {
  await relay?.stop();
  await s3?.stop();
});

/** Checks the detail page's file table against the originals: exactly these paths, sizes and SHA-256s. */
async function expectFiles(page: Page, files: Record<string, Buffer>) {
  const table = page.getByRole("table", { name: "Files" });
  await expect(table.getByRole("row")).toHaveCount(Object.keys(files).length + 1);
  for (const [path, data] of Object.entries(files)) {
    const row = table.getByRole("row").filter({ has: page.getByTitle(path, { exact: true }) });
    await expect(row.getByLabel(`SHA-256 ${sha(data)}`)).toBeVisible();
    await expect(row.getByTitle(`${data.length.toLocaleString("en-US")} bytes`)).toBeVisible();
  }
}

/** Waits until the checkpoint's status badge (next to its name) says it has finished, and that it is Ready. */
async function expectReady(page: Page, name: string, timeout: number) {
  const title = page.getByRole("heading", { level: 1, name }).locator("..");
  await expect(title.getByText(/^(Ready|Failed)$/)).toBeVisible({ timeout });
  await expect(title, await page.getByRole("alert").allInnerTexts().then((t) => t.join(" | "))).toContainText("Ready");
}

async function pickSource(page: Page, name: string, label: RegExp) {
  await page.goto("/checkpoints/new");
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByRole("radio", { name: label }).check();
}

test("S3: connection made on the Connections page, chosen in the form, ingested with progress", async ({ page }) => {
  test.setTimeout(240_000);
  const connection = uniqueName("e2e-s3");
  const checkpoint = uniqueName("from-s3");

  await page.goto("/checkpoints");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Connections" }).click();
  await expect(page).toHaveURL(/\/connections$/);
  await expect(page.getByText("No connections yet")).toBeVisible();
  await page.screenshot({ path: test.info().outputPath("connections-empty.png"), fullPage: true });

  await page.getByRole("button", { name: "Add a connection" }).click();
  const form = page.getByRole("form", { name: "New connection" });
  await form.getByLabel("Name", { exact: true }).fill(connection);
  await expect(form.getByLabel("Provider")).toHaveValue("s3");
  // A first try without credentials and with a broken endpoint: the API's field errors land on the fields.
  await form.getByLabel("Endpoint").fill("not a url");
  await form.getByRole("button", { name: "Create connection" }).click();
  await expect(form.getByLabel("Endpoint")).toHaveAttribute("aria-invalid", "true");
  await expect(form.getByLabel("Access key ID")).toHaveAttribute("aria-invalid", "true");
  await expect(form.getByText("Enter the access key id")).toBeVisible();
  await page.screenshot({ path: test.info().outputPath("connections-form-error.png"), fullPage: true });

  await form.getByLabel("Endpoint").fill(relay.endpoint);
  await form.getByLabel(/Path-style/).check();
  await expect(form.getByLabel("Access key ID")).toHaveAttribute("type", "password");
  await expect(form.getByLabel("Secret access key")).toHaveAttribute("type", "password");
  await form.getByLabel("Access key ID").fill("S3RVER");
  await form.getByLabel("Secret access key").fill("S3RVER");
  await form.getByRole("button", { name: "Create connection" }).click();

  await expect(page.getByRole("status").filter({ hasText: `Connection ${connection} created` })).toBeVisible();
  await expect(form).toBeHidden();
  const row = page.getByRole("table", { name: "Connections" }).getByRole("row").filter({ hasText: connection });
  await expect(row).toContainText("Amazon S3");
  await expect(row).toContainText(relay.endpoint);
  await expect(row).toContainText("path-style");
  // The secret never comes back, in the list or anywhere on the page.
  await expect(page.locator("body")).not.toContainText("S3RVER");
  await row.getByRole("button", { name: `Test ${connection}` }).click();
  await expect(row.getByRole("status")).toContainText("Works");
  await page.screenshot({ path: test.info().outputPath("connections-list.png"), fullPage: true });

  await pickSource(page, checkpoint, /^Amazon S3/);
  const connectionSelect = page.getByLabel("Connection", { exact: true });
  await expect(connectionSelect.getByRole("option")).toHaveText(["None (public)", connection]);
  await page.getByLabel("Path", { exact: true }).fill(`s3://${BUCKET}/llama/`);
  await expect(page.getByLabel("Path", { exact: true })).not.toHaveAttribute("aria-invalid", "true");
  await connectionSelect.selectOption(connection);
  await page.screenshot({ path: test.info().outputPath("create-s3.png"), fullPage: true });
  await page.getByRole("button", { name: "Create checkpoint" }).click();

  await expect(page).toHaveURL(new RegExp(`/checkpoints/${checkpoint}$`));
  const progress = page.getByRole("progressbar", { name: `Progress of ${checkpoint}` });
  await expect(progress).toBeVisible({ timeout: 30_000 });
  await expect(page.getByText("Downloading…")).toBeVisible();
  await expect(progress).toHaveAttribute("aria-valuetext", /of/);
  await page.screenshot({ path: test.info().outputPath("detail-downloading.png"), fullPage: true });
  await expectReady(page, checkpoint, 120_000);
  await expect(progress).toBeHidden();
  await expectFiles(page, TREE);

  const download = page.waitForEvent("download");
  await page.getByLabel("Download tokenizer/tokenizer.json").click();
  const saved = await (await download).createReadStream();
  const chunks: Buffer[] = [];
  for await (const chunk of saved) chunks.push(chunk as Buffer);
  expect(sha(Buffer.concat(chunks))).toBe(sha(TREE["tokenizer/tokenizer.json"]));
});

test("Web: a file served over HTTP is ingested through the form", async ({ page }) => {
  test.setTimeout(120_000);
  const weights = randomBytes(2 * MiB + 17);
  const server: Server = createHttpServer((req, res) => {
    if (req.url !== "/weights/adapter.bin") {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": weights.length, "accept-ranges": "none" });
    res.end(req.method === "HEAD" ? undefined : weights);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const checkpoint = uniqueName("from-web");
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/weights/adapter.bin`;
    await pickSource(page, checkpoint, /^Web/);
    // Web sources take no connection.
    await expect(page.getByLabel("Connection", { exact: true })).toHaveCount(0);
    await page.getByLabel("Path", { exact: true }).fill(url);
    await page.getByRole("button", { name: "Create checkpoint" }).click();
    await expect(page).toHaveURL(new RegExp(`/checkpoints/${checkpoint}$`));
    await expectReady(page, checkpoint, 90_000);
    await expectFiles(page, { "adapter.bin": weights });
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test("a path that breaks its type's rule is shown inline and not sent", async ({ page, request }) => {
  const checkpoint = uniqueName("bad-path");
  await pickSource(page, checkpoint, /^Amazon S3/);
  const path = page.getByLabel("Path", { exact: true });
  await path.fill("bucket/x");
  await expect(path).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByRole("alert").filter({ hasText: "An S3 path begins with s3://" })).toBeVisible();

  let posted = false;
  page.on("request", (req) => {
    if (req.method() === "POST" && req.url().includes("/api/v1/checkpoints")) posted = true;
  });
  await page.getByRole("button", { name: "Create checkpoint" }).click();
  await expect(page).toHaveURL(/\/checkpoints\/new$/);
  expect(posted).toBe(false);

  // Fixing the path clears the error as the user types.
  await path.fill("s3://bucket/x");
  await expect(path).not.toHaveAttribute("aria-invalid", "true");
  await expect(page.getByRole("alert").filter({ hasText: "An S3 path begins with s3://" })).toHaveCount(0);

  const token = await apiToken(request);
  const found = await request.get(`/api/v1/checkpoints/${checkpoint}`, { headers: { authorization: `Bearer ${token}` } });
  expect(found.status()).toBe(404);
});
