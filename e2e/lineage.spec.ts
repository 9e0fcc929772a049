import { chmod, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Page } from "@playwright/test";
import { apiToken, expect, seedReadyCheckpoint, test, uniqueName } from "./fixtures";

/** With E2E_SCREENSHOTS=<dir>, each designed state is saved there for a person to look at. */
async function shot(page: Page, name: string) {
  const dir = process.env.E2E_SCREENSHOTS;
  if (dir) await page.screenshot({ path: path.join(dir, `lineage-${name}.png`), fullPage: true });
}

/** A training run's checkpoint directory: weights and configs beside optimizer, scheduler, RNG and DeepSpeed state. */
const JOB_SCRIPT = `
const fs = require("node:fs");
const path = require("node:path");
const step = path.join(process.env.FLEXAI_OUTPUT_CHECKPOINT_DIR, "step-100");
fs.mkdirSync(path.join(step, "global_step100"), { recursive: true });
fs.writeFileSync(path.join(step, "config.json"), '{"model_type":"llama"}');
fs.writeFileSync(path.join(step, "model.safetensors"), Buffer.alloc(8192, 1));
fs.writeFileSync(path.join(step, "optimizer.pt"), Buffer.alloc(16384, 2));
fs.writeFileSync(path.join(step, "scheduler.pt"), Buffer.alloc(512, 3));
fs.writeFileSync(path.join(step, "rng_state.pth"), Buffer.alloc(256, 4));
fs.writeFileSync(path.join(step, "global_step100", "zero_pp_rank_0_mp_rank_00_optim_states.pt"), Buffer.alloc(4096, 5));
fs.writeFileSync(path.join(step, "latest"), "global_step100");
console.log("wrote step-100");
`;

test("derive weights only from a captured checkpoint, then follow its lineage from checkpoint to job, wide and narrow", async ({ page, request }) => {
  test.setTimeout(240_000);
  const token = await apiToken(request);
  const auth = { authorization: `Bearer ${token}` };
  const base = await seedReadyCheckpoint(request, token, uniqueName("e2e-lineage-base"), { "config.json": "{}", "model.safetensors": "base weights" });

  const dir = await mkdtemp(path.join(tmpdir(), "cairn-e2e-lineage-"));
  await chmod(dir, 0o755);
  const script = path.join(dir, "job.js");
  await writeFile(script, JOB_SCRIPT, { mode: 0o644 });
  const jobName = uniqueName("e2e-train");
  const launched = await request.post("/api/v1/jobs", {
    data: { name: jobName, type: "training", command: [process.execPath, script], checkpoints: [{ ref: base.name }] },
    headers: auth,
  });
  expect(launched.status(), await launched.text()).toBe(201);
  const captured = `${jobName}-step-100`;
  await expect
    .poll(async () => (await (await request.get(`/api/v1/checkpoints/${captured}`, { headers: auth })).json()).status?.status, { timeout: 90_000 })
    .toBe("ready");

  // The dialog previews what weights only keeps, with the reason for each file it leaves out.
  await page.goto(`/checkpoints/${captured}`);
  await page.getByRole("button", { name: "Derive…" }).click();
  const dialog = page.getByRole("dialog", { name: "Derive a checkpoint" });
  await expect(dialog.getByRole("switch", { name: "Weights only" })).toHaveAttribute("aria-checked", "true");
  await expect(dialog.getByRole("status")).toContainText("Keeps 2 of 7 files");
  const files = dialog.getByRole("list", { name: "Files of the derived checkpoint" });
  await expect(files.getByRole("listitem")).toHaveCount(7);
  await expect(files.getByRole("listitem").filter({ hasText: "optimizer.pt" })).toContainText("optimizer state (*optim*)");
  await shot(page, "derive-dialog");

  // A glob that keeps nothing is said so, and the dialog will not derive.
  await dialog.getByLabel("Keep only (optional)").fill("*.gguf");
  await expect(dialog.getByRole("status")).toContainText("Nothing would be kept");
  await expect(dialog.getByRole("button", { name: "Derive checkpoint" })).toBeDisabled();
  await dialog.getByLabel("Keep only (optional)").fill("");
  await expect(dialog.getByRole("status")).toContainText("Keeps 2 of 7 files");

  const derivedName = `${captured}-weights`;
  await expect(dialog.getByLabel("Name")).toHaveValue(derivedName);
  await dialog.getByRole("button", { name: "Derive checkpoint" }).click();
  await expect(page).toHaveURL(new RegExp(`/checkpoints/${derivedName}$`));
  await expect(page.getByRole("heading", { name: derivedName })).toBeVisible();
  await expect(page.getByText("Derived from")).toBeVisible();
  await expect(page.getByRole("link", { name: captured, exact: true })).toHaveAttribute("href", `/checkpoints/${captured}`);

  // The graph: base ─used─▶ job ─produced─▶ captured ─derived─▶ derived (this page).
  const graph = page.getByRole("group", { name: "Lineage graph" });
  await expect(graph.getByLabel(`${derivedName}: checkpoint, ready (this page)`)).toBeVisible();
  await expect(graph.getByRole("link", { name: `${captured}: checkpoint, ready` })).toBeVisible();
  await expect(graph.getByRole("link", { name: new RegExp(`^${jobName}: job, `) })).toBeVisible();
  await expect(graph.getByRole("link", { name: `${base.name}: checkpoint, ready` })).toHaveCount(0);
  await page.getByLabel("Steps out").selectOption("3");
  await expect(graph.getByRole("link", { name: `${base.name}: checkpoint, ready` })).toBeVisible();
  await shot(page, "derived-graph");

  // Nodes are links: on to the job, whose page draws the same graph from its side.
  await graph.getByRole("link", { name: new RegExp(`^${jobName}: job, `) }).click();
  await expect(page).toHaveURL(new RegExp(`/jobs/${jobName}$`));
  const jobGraph = page.getByRole("group", { name: "Lineage graph" });
  await expect(jobGraph.getByLabel(new RegExp(`^${jobName}: job, .*\\(this page\\)$`))).toBeVisible();
  await expect(jobGraph.getByRole("link", { name: `${derivedName}: checkpoint, ready` })).toBeVisible();

  // At 390 px the graph stacks top to bottom and every node fits the width.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await expect(jobGraph.getByRole("link", { name: `${derivedName}: checkpoint, ready` })).toBeVisible();
  await jobGraph.scrollIntoViewIfNeeded();
  const box = await jobGraph.boundingBox();
  expect(box?.width).toBeLessThanOrEqual(390);
  for (const node of await jobGraph.locator(".react-flow__node").all()) {
    const nodeBox = await node.boundingBox();
    expect(nodeBox && box && nodeBox.x >= box.x && nodeBox.x + nodeBox.width <= box.x + box.width).toBe(true);
  }
  await shot(page, "job-graph-narrow");
});
