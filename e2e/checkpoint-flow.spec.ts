import { createHash, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { expect, test } from "./fixtures";

// A person who has just arrived: no session from the setup project.
test.use({ storageState: { cookies: [], origins: [] } });

const sha = (data: Buffer) => createHash("sha256").update(data).digest("hex");

test("sign up, drop a folder, watch it upload, inspect, download and delete", async ({ page }) => {
  test.setTimeout(300_000);
  const email = `flow-${Date.now()}@example.com`;
  const files = {
    "config.json": Buffer.from('{"model_type":"llama","hidden_size":4096}'),
    "tokenizer/tokenizer.json": Buffer.from(JSON.stringify({ version: "1.0", vocab: { a: 1, b: 2 } })),
    "model.safetensors": randomBytes(52 * 1024 * 1024),
  };

  await page.goto("/signup");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("a strong password");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/checkpoints$/);
  await expect(page.getByText("No checkpoints yet")).toBeVisible();

  await page.goto("/checkpoints/new");
  await page.getByLabel("Name").fill("Bad Name");
  await expect(page.getByText(/lower case/i).first()).toBeVisible();
  await page.getByLabel("Name").fill("llama-e2e");
  await page.getByRole("button", { name: "Continue" }).click();
  const dropzone = page.getByTestId("upload-dropzone");
  await expect(dropzone).toBeVisible();

  // A real folder drop hands the page FileSystemEntry objects; build the same shape in the page.
  const payload = Object.entries(files).map(([path, data]) => ({ path, base64: data.toString("base64") }));
  await page.evaluate((entries) => {
    type Node = { name: string; children?: Map<string, Node>; file?: File; fullPath: string };
    const root: Node = { name: "llama", children: new Map(), fullPath: "/llama" };
    for (const { path, base64 } of entries) {
      const parts = path.split("/");
      let dir = root;
      for (const part of parts.slice(0, -1)) {
        if (!dir.children!.has(part)) dir.children!.set(part, { name: part, children: new Map(), fullPath: `${dir.fullPath}/${part}` });
        dir = dir.children!.get(part)!;
      }
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const name = parts.at(-1)!;
      dir.children!.set(name, { name, file: new File([bytes], name), fullPath: `${dir.fullPath}/${name}` });
    }
    const toEntry = (node: Node): unknown =>
      node.file
        ? { isFile: true, isDirectory: false, name: node.name, fullPath: node.fullPath, file: (ok: (f: File) => void) => ok(node.file!) }
        : {
            isFile: false,
            isDirectory: true,
            name: node.name,
            fullPath: node.fullPath,
            createReader: () => {
              let done = false;
              return {
                readEntries: (ok: (e: unknown[]) => void) => {
                  ok(done ? [] : [...node.children!.values()].map(toEntry));
                  done = true;
                },
              };
            },
          };
    const dataTransfer = {
      types: ["Files"],
      files: [],
      items: [{ kind: "file", type: "", webkitGetAsEntry: () => toEntry(root), getAsFile: () => null }],
      dropEffect: "copy",
    };
    const target = document.querySelector('[data-testid="upload-dropzone"]')!;
    for (const type of ["dragenter", "dragover", "drop"]) {
      const event = new Event(type, { bubbles: true, cancelable: true });
      Object.defineProperty(event, "dataTransfer", { value: dataTransfer });
      target.dispatchEvent(event);
    }
  }, payload);

  await expect(page.getByText(/3 files?/).first()).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole("button", { name: "Finish" })).toBeEnabled({ timeout: 120_000 });
  await page.getByRole("button", { name: "Finish" }).click();
  await expect(page).toHaveURL(/\/checkpoints\/llama-e2e/, { timeout: 30_000 });

  const table = page.getByRole("table", { name: "Files" });
  for (const [path, data] of Object.entries(files)) {
    const expectedPath = `llama/${path}`;
    const row = table.getByRole("row").filter({ hasText: expectedPath });
    await expect(row).toBeVisible();
    await expect(row.getByLabel(`SHA-256 ${sha(data)}`)).toBeVisible();
  }

  await page.goto("/checkpoints");
  const dashboardRow = page.getByRole("row").filter({ hasText: "llama-e2e" });
  await expect(dashboardRow.getByText("ready", { exact: false })).toBeVisible();
  await dashboardRow.getByRole("link", { name: "llama-e2e" }).click();

  const download = page.waitForEvent("download");
  await page.getByLabel("Download llama/tokenizer/tokenizer.json").click();
  const saved = await (await download).path();
  expect(sha(await readFile(saved))).toBe(sha(files["tokenizer/tokenizer.json"]));

  await page.getByRole("button", { name: "Delete" }).click();
  const dialog = page.getByRole("dialog");
  const confirm = dialog.getByRole("button", { name: /Delete/ });
  await expect(confirm).toBeDisabled();
  await dialog.getByRole("textbox").fill("llama-e2e");
  await confirm.click();
  await expect(page).toHaveURL(/\/checkpoints$/);
  await expect(page.getByText("No checkpoints yet")).toBeVisible();
});
