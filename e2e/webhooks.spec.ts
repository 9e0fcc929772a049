import { createHmac } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { apiToken, expect, seedReadyCheckpoint, test, uniqueName } from "./fixtures";

type Received = { path: string; headers: http.IncomingHttpHeaders; body: string };

// A receiver on loopback (the e2e server allows 127.0.0.0/8 as an outbound address).
const received: Received[] = [];
let receiver: http.Server;
let base = "";

test.beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      received.push({ path: req.url ?? "/", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});

test.afterAll(async () => {
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
});

test("a webhook made on the page shows its secret once and lists its signed deliveries", async ({ page, request }) => {
  const path = `/hooks/${uniqueName("e2e")}`;
  const url = `${base}${path}`;
  const to = () => received.filter((r) => r.path === path);

  await page.goto("/webhooks");
  await expect(page.getByRole("heading", { name: "Webhooks", level: 1 })).toBeVisible();
  await expect(page.getByRole("button", { name: /^(New webhook|Add a webhook)$/ }).first()).toBeVisible();
  await page.screenshot({ path: "/tmp/webhooks-start.png", fullPage: true });
  await page.getByRole("button", { name: /^(New webhook|Add a webhook)$/ }).first().click();
  await page.getByLabel("Payload URL").fill("ftp://example.com/hook");
  await page.getByRole("button", { name: "Create webhook" }).click();
  await expect(page.getByText("Webhooks are sent over http:// or https://")).toBeVisible();
  await page.screenshot({ path: "/tmp/webhooks-form.png", fullPage: true });
  await page.getByLabel("Payload URL").fill(url);
  await expect(page.getByRole("checkbox", { name: /checkpoint\.ready/ })).toBeChecked();
  await page.getByRole("checkbox", { name: /job\.finished/ }).check();
  await page.getByRole("button", { name: "Create webhook" }).click();

  const secretBox = page.getByLabel("Webhook signing secret");
  await expect(secretBox).toHaveText(/^whsec_[A-Za-z0-9_-]{32}$/);
  const secret = (await secretBox.textContent()) ?? "";
  const card = page.getByRole("list", { name: "Webhooks" }).getByRole("listitem").filter({ hasText: url });
  await expect(card.getByRole("list", { name: "Events" })).toHaveText(/checkpoint\.ready\s*job\.finished/);
  await expect(card.getByText("No deliveries yet")).toBeVisible();

  // An event: a checkpoint becomes ready. The receiver gets it signed with the secret the page showed.
  const token = await apiToken(request);
  const seeded = await seedReadyCheckpoint(request, token, uniqueName("hooked"), { "model.bin": "weights" });
  await expect.poll(() => to().length, { timeout: 20_000 }).toBe(1);
  const [first] = to();
  expect(first?.headers["x-cairn-event"]).toBe("checkpoint.ready");
  expect(first?.headers["x-cairn-signature"]).toBe(`sha256=${createHmac("sha256", secret).update(first?.body ?? "").digest("hex")}`);
  expect(JSON.parse(first?.body ?? "{}")).toMatchObject({ event: "checkpoint.ready", data: { metadata: { id: seeded.id } } });

  const deliveries = card.getByRole("list", { name: "Deliveries" });
  const delivery = deliveries.getByRole("listitem").filter({ hasText: "checkpoint.ready" });
  await expect(delivery).toContainText("Delivered", { timeout: 20_000 });
  await expect(delivery).toContainText("HTTP 200");
  await expect(delivery).toContainText("1 attempt");
  await expect(card).toContainText(/Last delivery\s*Delivered\s*HTTP 200/);
  await page.screenshot({ path: "/tmp/webhooks-desktop.png", fullPage: true });

  // Shown once: hidden on request, and gone after a reload.
  await page.getByRole("button", { name: "I have copied it, hide it" }).click();
  await expect(page.getByLabel("Webhook signing secret")).toHaveCount(0);
  await page.reload();
  await expect(card).toBeVisible();
  await expect(page.getByText(secret)).toHaveCount(0);
  await expect(card).toContainText("Last delivery");

  // Redeliver sends the same delivery again.
  await card.getByRole("button", { name: "Deliveries" }).click();
  await delivery.getByRole("button", { name: /^Redeliver/ }).click();
  await expect.poll(() => to().length, { timeout: 20_000 }).toBe(2);
  expect(to()[1]?.headers["x-cairn-delivery"]).toBe(first?.headers["x-cairn-delivery"]);
  await expect(delivery).toContainText("2 attempts", { timeout: 20_000 });

  await page.setViewportSize({ width: 390, height: 844 });
  await expect(delivery.getByRole("button", { name: /^Redeliver/ })).toBeVisible();
  await page.screenshot({ path: "/tmp/webhooks-390.png", fullPage: true });
  await page.setViewportSize({ width: 1280, height: 720 });

  await card.getByRole("button", { name: `Delete webhook ${url}` }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete webhook" }).click();
  await expect(card).toHaveCount(0);
});
