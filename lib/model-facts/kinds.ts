import { z } from "zod";

/**
 * What a checkpoint holds, read once from its files' headers when it becomes `ready`
 * (`status.model` of the checkpoint API). Unknown values are `null`; a file that could not be read is a line
 * in `problems` and never fails the checkpoint. Shared by the API, the CLI and the browser.
 */
export const modelFormats = ["safetensors", "pytorch", "gguf", "mixed"] as const;
export type ModelFormat = (typeof modelFormats)[number];

export const modelAdapter = z.object({
  type: z.string(),
  baseModel: z.string().nullable(),
  r: z.number().nullable(),
  alpha: z.number().nullable(),
  targetModules: z.array(z.string()),
});

export const modelFacts = z.object({
  format: z.enum(modelFormats).nullable(),
  architecture: z.string().nullable(),
  modelType: z.string().nullable(),
  /** Parameters of the model's weights (optimizer state and other training files excluded). */
  parameters: z.number().nullable(),
  parametersByDtype: z.record(z.string(), z.number()),
  tensors: z.number().nullable(),
  /** GGUF's file type (`Q4_K_M`), or null for unquantized weights. */
  quantization: z.string().nullable(),
  step: z.number().nullable(),
  epoch: z.number().nullable(),
  /** Last logged values (`loss`, `eval_loss`, …) and `best_metric` from trainer_state.json or a metrics file. */
  metrics: z.record(z.string(), z.number()),
  bestCheckpoint: z.string().nullable(),
  config: z
    .object({
      hiddenSize: z.number().nullable(),
      layers: z.number().nullable(),
      vocabSize: z.number().nullable(),
      torchDtype: z.string().nullable(),
    })
    .nullable(),
  adapter: modelAdapter.nullable(),
  /** A Diffusers pipeline: its class and component folders. */
  pipeline: z.object({ className: z.string().nullable(), components: z.array(z.string()) }).nullable(),
  tokenizer: z.boolean(),
  license: z.string().nullable(),
  /** The model card (`README.md`) path, when there is one. */
  modelCard: z.string().nullable(),
  inferenceReady: z.boolean(),
  problems: z.array(z.string()),
});
export type ModelFacts = z.infer<typeof modelFacts>;

/** Facts of a checkpoint with no readable files: every value unknown. */
export const emptyFacts = (): ModelFacts => ({
  format: null,
  architecture: null,
  modelType: null,
  parameters: null,
  parametersByDtype: {},
  tensors: null,
  quantization: null,
  step: null,
  epoch: null,
  metrics: {},
  bestCheckpoint: null,
  config: null,
  adapter: null,
  pipeline: null,
  tokenizer: false,
  license: null,
  modelCard: null,
  inferenceReady: false,
  problems: [],
});

/** "8.03 B", "124 M", "3.2 K": parameter counts as people say them. */
export function formatParameters(count: number): string {
  const units: [number, string][] = [
    [1e12, "T"],
    [1e9, "B"],
    [1e6, "M"],
    [1e3, "K"],
  ];
  for (const [size, unit] of units) {
    if (count >= size) {
      const value = count / size;
      return `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)} ${unit}`;
    }
  }
  return String(count);
}

/** The dtype holding most parameters, the one a card names ("BF16"). */
export function mainDtype(facts: Pick<ModelFacts, "parametersByDtype">): string | null {
  const entries = Object.entries(facts.parametersByDtype);
  if (entries.length === 0) return null;
  return entries.reduce((best, entry) => (entry[1] > best[1] ? entry : best))[0];
}

/**
 * The one-line summary of the Model card and the selector rows:
 * "8.03 B parameters · BF16 · LlamaForCausalLM · step 2000 · eval loss 1.31 · LoRA r=16 on …".
 */
export function factsSummary(facts: ModelFacts): string {
  const parts: string[] = [];
  if (facts.parameters !== null) parts.push(`${formatParameters(facts.parameters)} parameters`);
  const dtype = facts.quantization ?? mainDtype(facts);
  if (dtype) parts.push(dtype);
  if (facts.architecture) parts.push(facts.architecture);
  if (facts.step !== null) parts.push(`step ${facts.step}`);
  const evalLoss = facts.metrics.eval_loss;
  const loss = facts.metrics.loss;
  if (evalLoss !== undefined) parts.push(`eval loss ${round(evalLoss)}`);
  else if (loss !== undefined) parts.push(`loss ${round(loss)}`);
  if (facts.adapter) {
    const rank = facts.adapter.r !== null ? ` r=${facts.adapter.r}` : "";
    parts.push(`${facts.adapter.type}${rank}${facts.adapter.baseModel ? ` on ${facts.adapter.baseModel}` : ""}`);
  }
  return parts.join(" · ");
}

const round = (value: number) => (Math.abs(value) >= 100 ? value.toFixed(0) : value.toPrecision(3).replace(/\.?0+$/, ""));

export type TensorChange = { name: string; reason: "shape" | "dtype" | "values" };

/** The answer of `GET /checkpoints/{a}/diff/{b}`; `computing` until every needed tensor digest is known. */
export type CheckpointDiff = {
  status: "ready" | "computing";
  files: { added: string[]; removed: string[]; changed: string[]; identical: string[] };
  tensors: { added: string[]; removed: string[]; identical: number; changed: TensorChange[] } | null;
  parameters: { changed: number; total: number } | null;
  /** Weight files whose headers or digests could not be read: their tensors are left out. */
  problems: string[];
};
