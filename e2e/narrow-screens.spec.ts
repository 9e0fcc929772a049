import type { APIRequestContext, Page } from "@playwright/test";
import { apiToken, expect, seedReadyCheckpoint, test, uniqueName } from "./fixtures";

// A phone: the sections sit behind the Menu button, and nothing may scroll the page sideways.
const PHONE = { width: 390, height: 844 };
test.use({ viewport: PHONE });

/** How wide the document is; wider than the viewport means the page scrolls sideways. */
const pageScrollWidth = (page: Page) => page.evaluate(() => document.scrollingElement?.scrollWidth ?? Number.POSITIVE_INFINITY);

async function seedJob(request: APIRequestContext, token: string, checkpoint: string): Promise<string> {
  const name = uniqueName("narrow-job-with-a-rather-long-name");
  const created = await request.post("/api/v1/jobs", {
    data: { name, type: "training", command: ["node", "-e", "console.log('hello from a narrow screen')"], checkpoints: [{ ref: checkpoint }], captureOutputs: false },
    headers: { authorization: `Bearer ${token}` },
  });
  expect(created.status(), await created.text()).toBe(201);
  return name;
}

test.describe("narrow screens (390 px)", () => {
  let checkpoint: { id: string; name: string };
  let job: string;

  test.beforeAll(async ({ request }) => {
    const token = await apiToken(request);
    checkpoint = await seedReadyCheckpoint(request, token, uniqueName("narrow-checkpoint-with-a-long-name"), {
      "weights/a-rather-long-directory-name/model-00001-of-00002.safetensors": "a".repeat(2048),
      "config.json": "{}",
    });
    job = await seedJob(request, token, checkpoint.name);
  });

  test("the Menu button opens the sections, reaches Members and closes on navigation and Escape", async ({ page }) => {
    await page.goto("/checkpoints");
    await expect(page.getByRole("heading", { name: "Checkpoints" })).toBeVisible();
    const menu = page.getByRole("button", { name: "Menu" });
    await expect(menu).toHaveAttribute("aria-expanded", "false");
    await expect(page.getByRole("link", { name: "Members" })).toBeHidden();

    await menu.click();
    await expect(menu).toHaveAttribute("aria-expanded", "true");
    const sections = page.getByRole("navigation", { name: "Main" });
    await expect(sections.getByRole("link", { name: "Checkpoints" })).toBeFocused();
    await expect(sections.getByRole("link", { name: "Checkpoints" })).toHaveAttribute("aria-current", "page");
    await page.keyboard.press("Escape");
    await expect(menu).toHaveAttribute("aria-expanded", "false");
    await expect(menu).toBeFocused();
    await expect(sections).toBeHidden();

    await menu.click();
    await sections.getByRole("link", { name: "Members" }).click();
    await expect(page).toHaveURL(/\/members$/);
    await expect(page.getByRole("heading", { name: "Members" })).toBeVisible();
    await expect(menu).toHaveAttribute("aria-expanded", "false");
    await expect(sections).toBeHidden();
    expect(await pageScrollWidth(page)).toBeLessThanOrEqual(PHONE.width);

    // Keyboard: Enter opens it, Tab walks the sections, a click outside closes it.
    await menu.focus();
    await page.keyboard.press("Enter");
    await expect(sections.getByRole("link", { name: "Checkpoints" })).toBeFocused();
    await page.keyboard.press("Tab");
    await expect(sections.getByRole("link", { name: "Jobs" })).toBeFocused();
    await page.mouse.click(PHONE.width / 2, PHONE.height - 20);
    await expect(menu).toHaveAttribute("aria-expanded", "false");
  });

  test("no console page scrolls sideways; wide tables scroll inside their card", async ({ page }) => {
    // Each page is measured once its data is shown (what it waits for), not while skeletons stand in.
    const pages: [string, string, (page: Page) => Promise<void>][] = [
      ["/checkpoints", "Checkpoints", (p) => expect(p.getByRole("link", { name: checkpoint.name })).toBeVisible()],
      ["/jobs", "Jobs", (p) => expect(p.getByRole("table", { name: "Jobs" }).getByRole("link", { name: job })).toBeVisible()],
      [`/checkpoints/${checkpoint.id}`, checkpoint.name, (p) => expect(p.getByRole("table", { name: "Files" }).getByText(/model-00001-of-00002/)).toBeVisible()],
      [`/jobs/${job}`, job, (p) => expect(p.getByText("$FLEXAI_INPUT_CHECKPOINT_DIR/" + checkpoint.name)).toBeVisible()],
      ["/checkpoints/new", "Create checkpoint", async () => {}],
      ["/jobs/new", "Launch a job", async () => {}],
      ["/catalog", "Public catalog", async () => {}],
      ["/connections", "Connections", async () => {}],
      ["/tokens", "API tokens", (p) => expect(p.getByRole("table", { name: "API tokens" })).toBeVisible()],
      ["/members", "Members", (p) => expect(p.getByRole("table", { name: "Members" })).toBeVisible()],
    ];
    for (const [path, heading, loaded] of pages) {
      await page.goto(path);
      await expect(page.getByRole("heading", { name: heading, level: 1 })).toBeVisible();
      await loaded(page);
      await page.waitForLoadState("networkidle");
      expect(await pageScrollWidth(page), `${path} scrolls sideways`).toBeLessThanOrEqual(PHONE.width);
    }

    await page.goto("/jobs");
    const table = page.getByRole("table", { name: "Jobs" });
    await expect(table.getByRole("link", { name: job })).toBeVisible();
    const card = await table.evaluate((element) => {
      const wrapper = element.parentElement as HTMLElement;
      return { overflowX: getComputedStyle(wrapper).overflowX, scrollWidth: wrapper.scrollWidth, clientWidth: wrapper.clientWidth };
    });
    expect(card.overflowX).toBe("auto");
    expect(card.scrollWidth).toBeGreaterThan(card.clientWidth);
    expect(await pageScrollWidth(page)).toBeLessThanOrEqual(PHONE.width);
  });
});
