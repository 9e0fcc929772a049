import { chmod, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Page } from "@playwright/test";
import { apiToken, expect, seedReadyCheckpoint, test, uniqueName } from "./fixtures";

/** With E2E_SCREENSHOTS=<dir>, each designed state is saved there for a person to look at. */
async function shot(page: Page, name: string, fullPage = true) {
  const dir = process.env.E2E_SCREENSHOTS;
  if (dir) await page.screenshot({ path: path.join(dir, `jobs-${name}.png`), fullPage });
}

/** The job: prints what it was given, writes one checkpoint directory, then runs until stopped. */
const JOB_SCRIPT = `
const fs = require("node:fs");
const path = require("node:path");
const inputs = process.env.FLEXAI_INPUT_CHECKPOINT_DIR;
console.log("hello from the job");
console.log("inputs: " + fs.readdirSync(inputs).sort().join(","));
const step = path.join(process.env.FLEXAI_OUTPUT_CHECKPOINT_DIR, "step-100");
fs.mkdirSync(step);
fs.writeFileSync(path.join(step, "weights.bin"), Buffer.alloc(4096, 7));
console.log("wrote step-100");
setInterval(() => console.log("still training"), 2000);
`;

test("launch a job with two checkpoints picked by keyboard, watch logs and captures, delete guard, stop, continue training", async ({
  page,
  request,
  playwright,
  baseURL,
}) => {
  test.setTimeout(240_000);
  const token = await apiToken(request);
  const own = await seedReadyCheckpoint(request, token, uniqueName("e2e-base"), { "config.json": '{"model_type":"llama"}', "model.bin": "weights" });

  // A second person with an organization of their own publishes a checkpoint to the catalog.
  const stranger = { email: `stranger-${Date.now()}@example.com`, password: "stranger password 1" };
  const anonymous = await playwright.request.newContext({ baseURL });
  expect((await anonymous.post("/api/v1/users", { data: stranger })).status()).toBe(201);
  const strangerToken = await apiToken(anonymous, stranger);
  const shared = await seedReadyCheckpoint(anonymous, strangerToken, uniqueName("e2e-shared"), { "adapter.bin": "lora" });
  const published = await anonymous.patch(`/api/v1/checkpoints/${shared.id}`, {
    data: { visibility: "public" },
    headers: { authorization: `Bearer ${strangerToken}` },
  });
  expect(published.status(), await published.text()).toBe(200);
  await anonymous.dispose();

  // Readable by all: the runner may start jobs as an unprivileged user.
  const dir = await mkdtemp(path.join(tmpdir(), "cairn-e2e-job-"));
  await chmod(dir, 0o755);
  const script = path.join(dir, "job.js");
  await writeFile(script, JOB_SCRIPT, { mode: 0o644 });

  await page.goto("/jobs");
  await expect(page.getByRole("heading", { name: "Jobs", exact: true })).toBeVisible();
  await expect(page.getByText("No jobs yet")).toBeVisible();
  await shot(page, "list-empty");

  await page.goto("/jobs/new");
  await page.getByRole("button", { name: "Launch job" }).click();
  await expect(page.getByText("Fix the highlighted fields to launch the job.")).toBeVisible();
  await page.getByLabel("Name").fill("Bad Name");
  await expect(page.getByText(/lower case/i).first()).toBeVisible();
  await shot(page, "form-errors");

  const jobName = uniqueName("e2e-job");
  await page.getByLabel("Name").fill(jobName);

  // Keyboard only: type, ArrowDown, Enter; Tab to the Public switch, Space, Shift+Tab back.
  const combobox = page.getByRole("combobox", { name: "Attach checkpoints" });
  await combobox.focus();
  await page.keyboard.type(own.name);
  const listbox = page.getByRole("listbox");
  await expect(listbox.getByRole("option", { name: new RegExp(own.name) })).toBeVisible();
  await shot(page, "combobox-open");
  await page.keyboard.press("ArrowDown");
  await expect(combobox).toHaveAttribute("aria-activedescendant", /option-0/);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("button", { name: `Remove ${own.name}` })).toBeVisible();

  await page.keyboard.press("Tab");
  const publicSwitch = page.getByRole("switch", { name: "Public" });
  await expect(publicSwitch).toBeFocused();
  await page.keyboard.press("Space");
  await expect(publicSwitch).toHaveAttribute("aria-checked", "true");
  await page.keyboard.press("Shift+Tab");
  await expect(combobox).toBeFocused();
  await page.keyboard.type(shared.name);
  await expect(listbox.getByRole("option", { name: new RegExp(shared.name) })).toBeVisible();
  // The catalog does not list the user's own private checkpoint.
  await expect(listbox.getByRole("option", { name: new RegExp(own.name) })).toHaveCount(0);
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("button", { name: `Remove ${shared.name}` })).toBeVisible();
  await expect(listbox.getByRole("option", { name: new RegExp(shared.name) })).toHaveAttribute("aria-selected", "true");
  await shot(page, "combobox-picked", false);
  await page.keyboard.press("Escape");
  await expect(listbox).toBeHidden();

  // Backspace in the empty box removes the last pick; pick it again.
  await page.keyboard.press("Backspace");
  await expect(page.getByRole("button", { name: `Remove ${shared.name}` })).toHaveCount(0);
  await page.keyboard.type(shared.name);
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("button", { name: `Remove ${shared.name}` })).toBeVisible();

  await page.getByLabel("Command").fill(`${process.execPath} ${script}`);
  await expect(page.getByRole("list", { name: "Arguments the job receives" }).getByRole("listitem")).toHaveCount(2);
  await page.getByRole("button", { name: "Launch job" }).click();

  await expect(page).toHaveURL(new RegExp(`/jobs/${jobName}$`));
  const log = page.getByRole("log", { name: "Job output" });
  await expect(log).toContainText("hello from the job", { timeout: 30_000 });
  await expect(log).toContainText(`inputs: ${[own.name, shared.name].sort().join(",")}`);
  const captures = page.getByRole("list", { name: "Captured checkpoints" });
  await expect(captures.getByRole("link", { name: `${jobName}-step-100` })).toBeVisible({ timeout: 60_000 });
  await expect(captures.getByText("step 100")).toBeVisible();
  await expect(page.getByRole("list", { name: "Attached checkpoints" }).getByRole("link")).toHaveCount(2);
  await shot(page, "job-running");

  // Deleting an attached checkpoint while the job runs is refused, naming the job.
  await page.goto(`/checkpoints/${own.name}`);
  await expect(page.getByRole("list", { name: "Jobs using this checkpoint" }).getByRole("link", { name: jobName })).toBeVisible();
  await page.getByRole("button", { name: "Delete" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByRole("textbox").fill(own.name);
  await dialog.getByRole("button", { name: "Delete checkpoint" }).click();
  await expect(dialog.getByRole("alert")).toBeVisible();
  await expect(dialog.getByRole("link", { name: jobName })).toHaveAttribute("href", /\/jobs\//);
  await shot(page, "delete-refused", false);
  await dialog.getByRole("button", { name: "Cancel" }).click();

  await page.goto(`/jobs/${jobName}`);
  await page.getByRole("button", { name: "Stop" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Stop job" }).click();
  await expect(page.locator("header").getByText("Stopped")).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole("button", { name: "Stop" })).toHaveCount(0);
  await shot(page, "job-stopped");

  await page.goto(`/checkpoints/${own.name}`);
  await page.getByRole("link", { name: "Continue training" }).click();
  await expect(page).toHaveURL(/\/jobs\/new\?checkpoint=.*type=training/);
  await expect(page.getByRole("button", { name: `Remove ${own.name}` })).toBeVisible();
  await expect(page.getByRole("radio", { name: /Training/ })).toBeChecked();
  await expect(page.getByLabel("Name")).toHaveValue(`${own.name}-continued`);

  await page.goto("/jobs");
  await expect(page.getByRole("table", { name: "Jobs" }).getByRole("link", { name: jobName })).toBeVisible();
  await shot(page, "list");

  // The captured checkpoint names the job that produced it, and the step.
  await page.goto(`/checkpoints/${jobName}-step-100`);
  await expect(page.getByText("Produced by job")).toBeVisible();
  await expect(page.getByRole("link", { name: jobName })).toHaveAttribute("href", /\/jobs\//);
  await expect(page.getByText("at step 100")).toBeVisible();
  await shot(page, "captured-checkpoint");

  // The catalog: another organization's checkpoint, its files downloadable, usable in a job.
  await page.goto("/catalog");
  await page.getByRole("link", { name: shared.name, exact: true }).click();
  await expect(page.getByRole("heading", { name: shared.name })).toBeVisible();
  const download = page.waitForEvent("download");
  await page.getByLabel("Download adapter.bin").click();
  expect(await readFile(await (await download).path(), "utf8")).toBe("lora");
  await shot(page, "catalog-detail");
  await page.getByRole("link", { name: "Use in a job" }).click();
  await expect(page).toHaveURL(/\/jobs\/new\?checkpoint=.*public=1/);
  await expect(page.getByRole("button", { name: `Remove ${shared.name}` })).toBeVisible();
  await expect(page.getByRole("switch", { name: "Public" })).toHaveAttribute("aria-checked", "true");

  // An owner publishes their own checkpoint; it joins the catalog.
  await page.goto(`/checkpoints/${own.name}`);
  await page.getByRole("button", { name: "Make public" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Make public" }).click();
  await expect(page.getByRole("button", { name: "Make private" })).toBeVisible();
  await page.goto("/catalog");
  await expect(page.getByRole("row").filter({ hasText: own.name })).toContainText("This organization");
  await shot(page, "catalog");
});

test("the jobs list shows a skeleton while loading and the API's message with a retry when it fails", async ({ page }) => {
  let fail = true;
  await page.route("**/api/v1/jobs?*", async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    if (fail) await route.fulfill({ status: 500, json: { error: { code: "internal", message: "Something went wrong on the server." } } });
    else await route.continue();
  });
  await page.goto("/jobs");
  await expect(page.getByRole("table", { name: "Loading jobs" })).toBeVisible();
  await shot(page, "list-loading");
  const main = page.getByRole("main");
  await expect(main.getByRole("alert")).toContainText("Something went wrong on the server.", { timeout: 15_000 });
  await shot(page, "list-error");
  fail = false;
  await page.getByRole("button", { name: "Retry" }).click();
  await expect(main.getByRole("alert")).toHaveCount(0, { timeout: 15_000 });
  await expect(main.getByRole("table", { name: "Jobs" }).or(main.getByText("No jobs yet"))).toBeVisible();
});
