import { copyFile, chmod, mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Page } from "@playwright/test";
import { apiToken, expect, seedReadyCheckpoint, signUpAndSignIn, test, uniqueName } from "./fixtures";

/**
 * Jobs on the Slurm runner, against the second webServer of playwright.config.ts: a Cairn whose
 * jobs go through sbatch to a real one-node cluster with one (fake) GPU and a 2 MiB org quota.
 */
const SLURM_URL = `http://127.0.0.1:${process.env.E2E_SLURM_PORT || 3101}`;
const USER = { email: "e2e-slurm@example.com", password: "e2e slurm password 1" };

// Sessions belong to one server: this spec signs in to the Slurm Cairn itself.
test.use({ baseURL: SLURM_URL, storageState: { cookies: [], origins: [] } });

const SCREENS = path.join("test-results", "screens");
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

/** Saves the page at desktop width and at 390 px, for a person to look at. */
async function shots(page: Page, name: string) {
  // A full-page shot of a scrolled page draws the sticky nav where the viewport was.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.setViewportSize(DESKTOP);
  await page.screenshot({ path: path.join(SCREENS, `slurm-${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SCREENS, `slurm-${name}-390.png`), fullPage: true });
  await page.setViewportSize(DESKTOP);
}

/**
 * The job script of the integration tests, where every user can read it: a root server runs the
 * command as nobody. Release files go in a directory anyone may write.
 */
async function sandbox() {
  const dir = await mkdtemp(path.join(tmpdir(), "cairn-e2e-slurm-"));
  await chmod(dir, 0o777);
  const script = path.join(dir, "job-script.mjs");
  await copyFile(path.join(__dirname, "../tests/fixtures/job-script.mjs"), script);
  await chmod(script, 0o644);
  await mkdir(path.join(dir, "release"), { mode: 0o777 });
  await chmod(path.join(dir, "release"), 0o777);
  return { script, release: (name: string) => path.join(dir, "release", name) };
}

type Launch = { name: string; checkpoint?: string; gpus?: string; command: string; env?: Record<string, string> };

/** Fills the launch form (the page must be on /jobs/new, its runner fields loaded) and sends it. */
async function fillLaunchForm(page: Page, launch: Launch) {
  await page.getByLabel("Name", { exact: true }).fill(launch.name);
  if (launch.checkpoint) {
    const combobox = page.getByRole("combobox", { name: "Attach checkpoints" });
    await combobox.fill(launch.checkpoint);
    await expect(page.getByRole("listbox").getByRole("option", { name: new RegExp(launch.checkpoint) })).toBeVisible();
    await combobox.press("ArrowDown");
    await combobox.press("Enter");
    await expect(page.getByRole("button", { name: `Remove ${launch.checkpoint}` })).toBeVisible();
    await combobox.press("Escape");
  }
  await page.getByLabel("Command").fill(launch.command);
  for (const [index, [key, value]] of Object.entries(launch.env ?? {}).entries()) {
    await page.getByRole("button", { name: "Add variable" }).click();
    await page.getByLabel(`Variable ${index + 1} name`).fill(key);
    await page.getByLabel(`Variable ${index + 1} value`).fill(value);
  }
  if (launch.gpus !== undefined) await page.getByLabel("GPUs").fill(launch.gpus);
}

async function openLaunchForm(page: Page) {
  await page.goto("/jobs/new");
  // The runner's fields come from GET /api/v1/runner.
  await expect(page.getByLabel("GPUs")).toBeVisible();
}

const header = (page: Page) => page.locator("header");

test.beforeEach(async ({ page }) => {
  await signUpAndSignIn(page.request, USER);
});

test("a GPU job waits in Slurm's queue with Slurm's reason, then runs, logs, is captured and stopped", async ({ page, request }) => {
  test.setTimeout(240_000);
  const token = await apiToken(request, USER);
  const base = await seedReadyCheckpoint(request, token, uniqueName("slurm-base"), { "config.json": '{"model_type":"llama"}', "model.bin": "weights" });
  const { script, release } = await sandbox();
  const holdRelease = release("holder");

  // The form offers what the Slurm runner honours, and nothing it does not.
  await openLaunchForm(page);
  for (const label of ["GPUs", "CPUs", "Memory", "Time limit", "Partition"]) await expect(page.getByLabel(label)).toBeVisible();
  await expect(page.getByLabel("Image")).toHaveCount(0);
  // Client rules as the user types: whole numbers of at least 1.
  await page.getByLabel("GPUs").fill("0");
  await expect(page.getByText("At least 1 GPU, or leave it empty for the default.")).toBeVisible();
  await page.getByLabel("GPUs").fill("");

  // The first job takes the only GPU and holds it until released.
  const holder = uniqueName("slurm-holder");
  await fillLaunchForm(page, { name: holder, checkpoint: base.name, gpus: "1", command: `${process.execPath} ${script} wait`, env: { RELEASE_1: holdRelease } });
  await page.getByLabel("Time limit").fill("30");
  await shots(page, "launch-form");
  await page.getByRole("button", { name: "Launch job" }).click();
  await expect(page).toHaveURL(new RegExp(`/jobs/${holder}$`));
  await expect(page.getByText(/^Slurm job \d+$/)).toBeVisible();
  await expect(page.getByText("1 GPU · 30 min limit")).toBeVisible();
  await expect(header(page).getByText("Running")).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole("log", { name: "Job output" })).toContainText("waiting", { timeout: 30_000 });

  // The second asks for a GPU too: Slurm keeps it pending, and the page says why in Slurm's words.
  const waiter = uniqueName("slurm-waiter");
  await openLaunchForm(page);
  await fillLaunchForm(page, {
    name: waiter,
    gpus: "1",
    command: `${process.execPath} ${script} produce`,
    env: { RELEASE_1: release("never-1"), RELEASE_2: release("never-2") },
  });
  await page.getByRole("button", { name: "Launch job" }).click();
  await expect(page).toHaveURL(new RegExp(`/jobs/${waiter}$`));
  await expect(header(page).getByText("Queued")).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Waiting in Slurm's queue" })).toContainText(/Waiting in Slurm's queue: (Resources|Priority)/, {
    timeout: 30_000,
  });
  await expect(page.getByText(/^Slurm job \d+$/)).toBeVisible();
  await expect(page.getByText("not started yet")).toBeVisible();
  await shots(page, "job-queued");

  // Released, the holder ends and frees the GPU; the waiter starts, logs and is captured.
  await writeFile(holdRelease, "go", { mode: 0o666 });
  await expect(header(page).getByText("Running")).toBeVisible({ timeout: 60_000 });
  await expect(page.getByText(/Waiting in Slurm's queue/)).toHaveCount(0);
  const log = page.getByRole("log", { name: "Job output" });
  await expect(log).toContainText("wrote step-100", { timeout: 30_000 });
  const captures = page.getByRole("list", { name: "Captured checkpoints" });
  await expect(captures.getByRole("link", { name: `${waiter}-step-100` })).toBeVisible({ timeout: 60_000 });
  await expect(captures.getByText("Ready")).toBeVisible();
  await expect(page.getByText(/heartbeat \d+ s ago/)).toBeVisible();
  await shots(page, "job-running");

  await page.getByRole("button", { name: "Stop" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Stop job" }).click();
  await expect(header(page).getByText("Stopped")).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole("button", { name: "Stop" })).toHaveCount(0);
  await expect(page.getByText(/last heartbeat \d+ s ago/)).toBeVisible();

  await page.goto(`/jobs/${holder}`);
  await expect(header(page).getByText("Succeeded")).toBeVisible();
});

const SLURM_REFUSAL = "Slurm refused the job: Batch job submission failed: Requested node configuration is not available";

/** Asks for 2 GPUs of the node's 1, and checks the refusal is shown with the resource fields, nothing typed lost. */
async function launchTooManyGpus(page: Page, screen?: string) {
  await openLaunchForm(page);
  const name = uniqueName("slurm-greedy");
  await fillLaunchForm(page, { name, gpus: "2", command: "true" });
  await page.getByLabel("CPUs").fill("1");
  await page.getByRole("button", { name: "Launch job" }).click();
  const refusal = page.getByRole("alert").filter({ hasText: "Slurm refused the job" });
  const serverError = page.getByRole("alert").filter({ hasText: "Something went wrong on the server" });
  await expect(refusal.or(serverError)).toBeVisible();
  if (await serverError.isVisible()) {
    throw new Error(
      `POST /api/v1/jobs answered 500, not Slurm's 422: ${await serverError.textContent()} ` +
        "(in the Next build, lib/jobs/scheduler.ts's `instanceof RunnerRefusal` misses the class of the runner made by the instrumentation bundle).",
    );
  }
  await expect(refusal).toHaveText(SLURM_REFUSAL);
  await expect(page).toHaveURL(/\/jobs\/new$/);
  await expect(page.getByLabel("GPUs")).toHaveValue("2");
  await expect(page.getByLabel("GPUs")).toBeFocused();
  await expect(page.getByLabel("CPUs")).toHaveValue("1");
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue(name);
  await expect(page.getByLabel("Command")).toHaveValue("true");
  if (screen) await shots(page, screen);
  // Changing the request clears the refusal.
  await page.getByLabel("GPUs").fill("1");
  await expect(refusal).toHaveCount(0);
}

test("a launch Slurm cannot place shows Slurm's refusal in the form, keeping what was typed", async ({ page }) => {
  await launchTooManyGpus(page, "launch-refused");
});

test("the form shows the runner's 422 on the resource fields it names (the API's envelope, stubbed)", async ({ page }) => {
  // The envelope lib/jobs/scheduler.ts makes of a RunnerRefusal, and lib/jobs/service.ts of a field the runner cannot honour.
  let answer = { fields: { resources: SLURM_REFUSAL } as Record<string, string>, message: SLURM_REFUSAL };
  await page.route("**/api/v1/jobs", async (route) => {
    if (route.request().method() !== "POST") return route.continue();
    await route.fulfill({ status: 422, json: { error: { code: "validation_failed", message: answer.message, details: { fields: answer.fields } } } });
  });
  await launchTooManyGpus(page, "launch-refused-stubbed");

  answer = { fields: { partition: "Slurm refused the job: Batch job submission failed: Invalid partition name specified" }, message: "Slurm refused the job" };
  await page.getByLabel("Partition").fill("nope");
  await page.getByRole("button", { name: "Launch job" }).click();
  await expect(page.locator("#job-partition-message")).toHaveText(answer.fields.partition ?? "");
  await expect(page.getByLabel("Partition")).toBeFocused();
  await expect(page.getByLabel("Partition")).toHaveAttribute("aria-invalid", "true");
});

test("the resource fields show a skeleton while the runner loads, and its error with a retry", async ({ page }) => {
  let fail = true;
  await page.route("**/api/v1/runner", async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    if (fail) await route.fulfill({ status: 503, json: { error: { code: "unavailable", message: "The runner could not be asked." } } });
    else await route.continue();
  });
  await page.goto("/jobs/new");
  await expect(page.getByLabel("Loading the runner's fields")).toBeVisible();
  const error = page.getByRole("alert").filter({ hasText: "Could not load what the runner offers" });
  await expect(error).toContainText("The runner could not be asked.", { timeout: 30_000 });
  // The rest of the form stays usable.
  await expect(page.getByLabel("Name", { exact: true })).toBeEditable();
  await error.scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(SCREENS, "slurm-launch-runner-error-desktop.png") });
  fail = false;
  await error.getByRole("button", { name: "Retry" }).click();
  await expect(page.getByLabel("GPUs")).toBeVisible();
  await expect(error).toHaveCount(0);
});

test("the engine's words on a job: a stale heartbeat, an agent lost, OOMKilled (job answers stubbed)", async ({ page }) => {
  const ago = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString();
  const base = {
    id: "5b0c7c3e-8f7a-4d7e-9a59-2f6f0d3c1a11",
    type: "training",
    message: null,
    command: ["python", "train.py"],
    envKeys: [],
    captureOutputs: true,
    checkpoints: [],
    outputs: [],
    captures: [],
    exitCode: null,
    runner: "slurm",
    runnerJobId: "42",
    statusMessage: null,
    resources: { gpus: 1, cpus: 4, memoryGb: 16, timeLimitMinutes: 120 },
    partition: "gpu",
    image: null,
    creatorUserID: null,
    createdAt: ago(600),
    startedAt: ago(500),
    finishedAt: null,
  };
  const jobs: Record<string, Record<string, unknown>> = {
    "stub-stale": { ...base, name: "stub-stale", status: "running", lastHeartbeatAt: ago(45) },
    "stub-lost": {
      ...base,
      name: "stub-lost",
      status: "failed",
      statusMessage: "agent lost",
      lastHeartbeatAt: ago(130),
      finishedAt: ago(5),
      message: "The job's agent stopped reporting 125 s ago. Its files are kept where they are; failed captures can still be retried.",
    },
    "stub-oom": {
      ...base,
      name: "stub-oom",
      status: "failed",
      runner: "kubernetes",
      runnerJobId: "cairn-stub-oom",
      partition: null,
      image: "pytorch/pytorch:2.4.0-cuda12.1-cudnn9-runtime",
      statusMessage: "OOMKilled",
      exitCode: 137,
      lastHeartbeatAt: ago(8),
      finishedAt: ago(6),
      message: "The command was killed (exit code 137).",
    },
  };
  // The page reads the job by its name, its log by its id.
  await page.route(new RegExp(`/api/v1/jobs/(stub-[a-z]+|${base.id})(/logs)?(\\?.*)?$`), async (route) => {
    const [, , , , ref, rest] = new URL(route.request().url()).pathname.split("/");
    if (rest === "logs") return route.fulfill({ json: { items: [], nextAfter: 0 } });
    return route.fulfill({ json: jobs[ref ?? ""] ?? {} });
  });

  await page.goto("/jobs/stub-stale");
  await expect(page.getByText("Slurm job 42")).toBeVisible();
  await expect(page.getByText("1 GPU · 4 CPUs · 16 GiB · 2 h limit · partition gpu")).toBeVisible();
  await expect(page.getByText(/heartbeat 4\d s ago/)).toBeVisible();
  await expect(page.getByText("The agent has gone quiet.")).toBeVisible();
  await shots(page, "job-heartbeat-stale");

  await page.goto("/jobs/stub-lost");
  await expect(page.getByRole("alert").filter({ hasText: "The job's agent stopped reporting" })).toContainText("What the job wrote is kept");
  await shots(page, "job-agent-lost");

  await page.goto("/jobs/stub-oom");
  await expect(page.getByRole("alert").filter({ hasText: "This job failed" })).toContainText("OOMKilled");
  await expect(page.getByText("Kubernetes Job cairn-stub-oom")).toBeVisible();
  await expect(page.getByText("pytorch/pytorch:2.4.0-cuda12.1-cudnn9-runtime")).toBeVisible();
  await shots(page, "job-oomkilled");
});

test("a capture over the quota fails with the reason, and Retry capture asks again", async ({ page, request }) => {
  test.setTimeout(180_000);
  const token = await apiToken(request, USER);
  const { script } = await sandbox();
  const name = uniqueName("slurm-big");
  const created = await request.post("/api/v1/jobs", {
    data: { name, type: "training", command: [process.execPath, script, "big-output"], env: { BIG_BYTES: String(3 * 1024 * 1024) }, resources: { cpus: 1 } },
    headers: { authorization: `Bearer ${token}` },
  });
  expect(created.status(), await created.text()).toBe(201);

  await page.goto(`/jobs/${name}`);
  const captures = page.getByRole("list", { name: "Captured checkpoints" });
  await expect(captures.getByText(/Capture failed: .*missing/)).toBeVisible({ timeout: 90_000 });
  await expect(captures.getByText("Failed", { exact: true })).toBeVisible();
  const retry = page.getByRole("button", { name: "Retry capture" });
  await expect(retry).toBeVisible();
  await shots(page, "capture-failed");

  const log = page.getByRole("log", { name: "Job output" });
  const refusals = async () => ((await log.textContent()) ?? "").split("storage quota").length - 1;
  const before = await refusals();
  expect(before).toBeGreaterThan(0);
  await retry.click();
  // Asked: the page says so, and the log names who asked.
  await expect(page.getByRole("status").filter({ hasText: "Retry asked" }).or(captures.getByText(/^(Waiting|Capturing…)$/))).toBeVisible();
  await shots(page, "capture-retry-asked");
  await expect(log).toContainText("asked to retry 1 failed capture", { timeout: 15_000 });
  // The quota still does not fit it: the agent is refused again, and the button is there for another try.
  await expect.poll(refusals, { timeout: 60_000 }).toBeGreaterThan(before);
  await expect(retry).toBeVisible();
  await expect(captures.getByText(/Capture failed: .*missing/)).toBeVisible();
});
