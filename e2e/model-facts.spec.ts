import { apiToken, expect, seedReadyCheckpoint, test, uniqueName } from "./fixtures";

/** safetensors to the spec: F32 tensors whose bytes are all `fill`. */
function safetensors(tensors: Record<string, { shape: number[]; fill: number }>): Buffer {
  const header: Record<string, unknown> = {};
  const parts: Buffer[] = [];
  let offset = 0;
  for (const [name, { shape, fill }] of Object.entries(tensors)) {
    const size = shape.reduce((a, b) => a * b, 1) * 4;
    header[name] = { dtype: "F32", shape, data_offsets: [offset, offset + size] };
    parts.push(Buffer.alloc(size, fill));
    offset += size;
  }
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, ...parts]);
}

const weights = { "model.embed.weight": { shape: [500, 64], fill: 1 }, "model.layers.0.weight": { shape: [64, 64], fill: 2 } };
const files = (fill: number) => ({
  "config.json": JSON.stringify({ architectures: ["TinyLlamaForCausalLM"], model_type: "llama", hidden_size: 64, num_hidden_layers: 1, vocab_size: 500 }),
  "model.safetensors": safetensors({ ...weights, "model.layers.0.weight": { shape: [64, 64], fill } }),
  "trainer_state.json": JSON.stringify({ global_step: 2000, epoch: 2, log_history: [{ loss: 1.5 }, { eval_loss: 1.31 }] }),
  "tokenizer.json": "{}",
  "README.md": "---\nlicense: apache-2.0\n---\n# Tiny llama\n",
});

test("the Model card, the dashboard's facts columns and the compare page", async ({ page, request }) => {
  const token = await apiToken(request);
  const base = await seedReadyCheckpoint(request, token, uniqueName("facts-base"), files(2));
  const tuned = await seedReadyCheckpoint(request, token, uniqueName("facts-tuned"), files(9));

  await page.goto(`/checkpoints/${base.name}`);
  const card = page.getByRole("region", { name: "Model" });
  await expect(card.getByTestId("model-summary")).toHaveText("36.1 K parameters · F32 · TinyLlamaForCausalLM · step 2000 · eval loss 1.31");
  await expect(card).toContainText("apache-2.0");
  await expect(card).toContainText("Ready to load");
  await page.screenshot({ path: "test-results/model-card.png", fullPage: true });

  await page.goto(`/checkpoints?q=facts-&architecture=tinyllamaforcausallm`);
  const row = page.getByRole("row", { name: new RegExp(base.name) });
  await expect(row).toContainText("36.1 K");
  await expect(row).toContainText("2,000");

  await page.goto(`/checkpoints/${base.name}`);
  await page.getByRole("button", { name: "Compare…" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByRole("combobox").fill(tuned.name);
  await dialog.getByRole("option", { name: new RegExp(tuned.name) }).click();
  await expect(page).toHaveURL(new RegExp(`/checkpoints/${base.name}/compare/`));
  await expect(page.getByTestId("parameter-change")).toHaveText("11.3 % of parameters changed (4.10 K of 36.1 K)");
  await expect(page.getByText("model.layers.0.weight")).toBeVisible();
  await page.screenshot({ path: "test-results/compare.png", fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: "test-results/compare-390.png", fullPage: true });
  expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(390);
});
