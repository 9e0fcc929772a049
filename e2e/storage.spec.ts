import path from "node:path";
import type { Page } from "@playwright/test";
import { apiToken, expect, seedReadyCheckpoint, test, uniqueName } from "./fixtures";

/** With E2E_SCREENSHOTS=<dir>, each designed state is saved there for a person to look at. */
async function shot(page: Page, name: string) {
  const dir = process.env.E2E_SCREENSHOTS;
  if (dir) await page.screenshot({ path: path.join(dir, `storage-${name}.png`), fullPage: true });
}

test("the Storage page charts what is stored, and a retention policy previews what it would delete", async ({ page, request }) => {
  test.setTimeout(180_000);
  const token = await apiToken(request);
  const auth = { authorization: `Bearer ${token}` };
  // Four checkpoints of one series; the two oldest hold the same 3 MiB of weights, so they share a blob.
  const series = uniqueName("e2e-keep");
  const weights = Buffer.alloc(3 * 1024 * 1024, 7);
  const seeded: string[] = [];
  for (let step = 1; step <= 4; step++) {
    const files = { "config.json": `{"step":${step}}`, "model.safetensors": step <= 2 ? weights : Buffer.alloc(64 * 1024, step) };
    seeded.push((await seedReadyCheckpoint(request, token, `${series}-step-${step}`, files)).name);
  }

  await page.goto("/storage");
  await expect(page.getByRole("heading", { name: "Storage", level: 1 })).toBeVisible();
  const figures = page.getByText("Saved by sharing").locator("..");
  await expect(figures).not.toContainText("No file is shared by two checkpoints yet");
  // The chart is drawn (recharts' SVG bars), and its text alternative names the consumers.
  const chart = page.getByRole("img", { name: /^Largest consumers\./ });
  await expect(chart).toBeVisible();
  await expect(chart.locator("svg .recharts-bar-rectangle").first()).toBeVisible();
  await expect(page.getByRole("table", { name: "Checkpoints by exclusive bytes" })).toBeVisible();
  await shot(page, "overview");

  // A policy for this series only: keep the latest 2. The preview answers before anything is saved.
  await page.getByRole("button", { name: "New policy" }).first().click();
  await page.getByLabel("Policy name").fill(`${series} latest 2`);
  await page.getByLabel("Checkpoints named").fill(`${series}-step-*`);
  await page.getByRole("spinbutton", { name: "The latest" }).fill("2");
  const form = page.getByRole("form", { name: "New retention policy" });
  await expect(form.getByRole("status")).toContainText("Would delete 2 of 4 matching checkpoints");
  const doomed = form.getByRole("list", { name: "Checkpoints the policy would delete" });
  await expect(doomed.getByRole("listitem")).toHaveCount(2);
  await expect(doomed).toContainText(`${series}-step-1`);
  await expect(doomed).toContainText(`${series}-step-2`);
  await expect(form.getByRole("list", { name: "Checkpoints the policy keeps" })).toContainText(`${series}-step-4`);
  await shot(page, "policy-preview");

  // Previewing deleted nothing: all four are still there.
  for (const name of seeded) expect((await request.get(`/api/v1/checkpoints/${name}`, { headers: auth })).status()).toBe(200);

  await page.setViewportSize({ width: 390, height: 844 });
  await expect(form.getByRole("status")).toContainText("Would delete 2 of 4");
  await shot(page, "policy-preview-narrow");
  await page.setViewportSize({ width: 1280, height: 800 });

  // Leave the shared org as it was: no policy stays behind to delete other specs' checkpoints.
  await page.getByRole("button", { name: "Cancel" }).click();
  await expect(form).toBeHidden();
  const policies = (await (await request.get("/api/v1/retention-policies", { headers: auth })).json()) as { items: { name: string }[] };
  expect(policies.items.map((p) => p.name)).not.toContain(`${series} latest 2`);
});
