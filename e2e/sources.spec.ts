import { createHash, randomBytes } from "node:crypto";
import { createServer as createHttpServer, type Server } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer as createTcpServer, connect, type AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { Page } from "@playwright/test";
import { apiToken, expect, signUpAndSignIn, test, uniqueName } from "./fixtures";

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

// s3rver ships no types; the slice used here (tests/helpers/s3.ts cannot be imported: it is ESM-only
// through import.meta, and Playwright loads this spec as CommonJS).
type S3rverServer = { run(): Promise<{ port: number }>; close(): Promise<void> };
type S3rverOptions = { port: number; address: string; silent: boolean; directory: string; configureBuckets: { name: string }[] };
const S3rver = createRequire(__filename)("s3rver") as new (options: S3rverOptions) => S3rverServer;

async function startS3rver(buckets: string[]) {
  const directory = await mkdtemp(path.join(os.tmpdir(), "cairn-e2e-s3rver-"));
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
  for (const [filePath, data] of Object.entries(files)) {
    const row = table.getByRole("row").filter({ has: page.getByTitle(filePath, { exact: true }) });
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
  // An account of its own: other specs leave connections in the shared one, and this test starts from the empty page.
  await signUpAndSignIn(page.request, { email: `${uniqueName("s3-owner")}@example.com`, password: "s3 owner password 123" });

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
  await form.getByRole("textbox", { name: /^Endpoint/ }).fill("not a url");
  await form.getByRole("button", { name: "Create connection" }).click();
  await expect(form.getByRole("textbox", { name: /^Endpoint/ })).toHaveAttribute("aria-invalid", "true");
  await expect(form.getByLabel("Access key ID")).toHaveAttribute("aria-invalid", "true");
  await expect(form.getByText("Enter the access key id")).toBeVisible();
  await form.screenshot({ path: test.info().outputPath("connections-form-error.png") });

  await form.getByRole("textbox", { name: /^Endpoint/ }).fill(relay.endpoint);
  await form.getByLabel("Path-style addressing").check();
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
  await expect(row.getByRole("status")).toContainText("Test passed");
  await page.screenshot({ path: test.info().outputPath("connections-list.png"), fullPage: true });

  await pickSource(page, checkpoint, /^Amazon S3/);
  const connectionSelect = page.getByLabel("Connection", { exact: true });
  await expect(connectionSelect.getByRole("option")).toHaveText(["None (public)", connection]);
  await page.getByLabel("Path", { exact: true }).fill(`s3://${BUCKET}/llama/`);
  await expect(page.getByLabel("Path", { exact: true })).not.toHaveAttribute("aria-invalid", "true");
  await connectionSelect.selectOption(connection);
  await page.evaluate(() => window.scrollTo(0, 0));
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
  const pathInput = page.getByLabel("Path", { exact: true });
  await pathInput.fill("bucket/x");
  await expect(pathInput).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByRole("alert").filter({ hasText: "An S3 path begins with s3://" })).toBeVisible();

  let posted = false;
  page.on("request", (req) => {
    if (req.method() === "POST" && req.url().includes("/api/v1/checkpoints")) posted = true;
  });
  await page.getByRole("button", { name: "Create checkpoint" }).click();
  await expect(page).toHaveURL(/\/checkpoints\/new$/);
  await expect(pathInput).toBeFocused();
  expect(posted).toBe(false);

  // Fixing the path clears the error as the user types.
  await pathInput.fill("s3://bucket/x");
  await expect(pathInput).not.toHaveAttribute("aria-invalid", "true");
  await expect(page.getByRole("alert").filter({ hasText: "An S3 path begins with s3://" })).toHaveCount(0);

  const token = await apiToken(request);
  const found = await request.get(`/api/v1/checkpoints/${checkpoint}`, { headers: { authorization: `Bearer ${token}` } });
  expect(found.status()).toBe(404);
});

test("the API's verdict lands on the field it names: a connection deleted while the form was open", async ({ page, request }) => {
  const owner = { authorization: `Bearer ${await apiToken(request)}` };
  const connection = uniqueName("e2e-gone");
  const created = await request.post("/api/v1/connections", {
    headers: owner,
    data: { name: connection, provider: "s3", config: { endpoint: relay.endpoint, forcePathStyle: true }, secret: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } },
  });
  expect(created.status()).toBe(201);

  const checkpoint = uniqueName("gone-conn");
  await pickSource(page, checkpoint, /^Amazon S3/);
  await page.getByLabel("Path", { exact: true }).fill(`s3://${BUCKET}/llama/`);
  const select = page.getByLabel("Connection", { exact: true });
  await select.selectOption(connection);
  expect((await request.delete(`/api/v1/connections/${connection}`, { headers: owner })).status()).toBe(204);

  await page.getByRole("button", { name: "Create checkpoint" }).click();
  await expect(select).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByText(`There is no connection named '${connection}'`)).toBeVisible();
  await expect(page).toHaveURL(/\/checkpoints\/new$/);
});

test.describe("as a viewer", () => {
  test.use({ storageState: { cookies: [], origins: [] } });

  test("sees the organization's connections but no way to add, test or delete them", async ({ page, request }) => {
    const owner = { authorization: `Bearer ${await apiToken(request)}` };
    const name = uniqueName("e2e-hf");
    const created = await request.post("/api/v1/connections", {
      headers: owner,
      data: { name, provider: "huggingface", config: { endpoint: "https://hub.example.com" }, secret: { token: "hf_e2e_never_shown" } },
    });
    expect(created.status()).toBe(201);
    const { org } = (await (await request.get("/api/v1/me", { headers: owner })).json()) as { org: { id: string } };

    const viewer = { email: `viewer-${Date.now()}@example.com`, password: "viewer password 123" };
    await signUpAndSignIn(page.request, viewer);
    const added = await request.post("/api/v1/orgs/current/members", { headers: owner, data: { email: viewer.email, role: "viewer" } });
    expect(added.status()).toBe(201);
    await page.context().addCookies([{ name: "cairn-org", value: org.id, url: test.info().project.use.baseURL }]);

    await page.goto("/connections");
    const row = page.getByRole("table", { name: "Connections" }).getByRole("row").filter({ hasText: name });
    await expect(row).toContainText("https://hub.example.com");
    await expect(page.getByText(/You are a viewer/)).toBeVisible();
    await expect(page.getByRole("button", { name: /New connection|Add a connection/ })).toHaveCount(0);
    await expect(row.getByRole("button")).toHaveCount(0);
    await expect(page.locator("body")).not.toContainText("hf_e2e_never_shown");
  });
});
