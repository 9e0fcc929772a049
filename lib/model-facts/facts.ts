import "server-only";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { emptyFacts, type ModelFacts, type ModelFormat } from "./kinds";
import { isTrainingState } from "./training-state";
import { readWeights, weightFormatOf, type ByteSource, type WeightsReading } from "./weights";

/** One file of a checkpoint, and how to read its bytes. */
export type FactsFile = { path: string; size: number; open(): ByteSource };

/** JSON and text files are read whole, up to this; a bigger one is a problem, never a memory spike. */
const TEXT_LIMIT = 32 * 1024 * 1024;
/** Headers of this many weight files at most (a 10,000-shard FSDP checkpoint still reads in seconds). */
const WEIGHT_FILES_LIMIT = 20_000;


const TOKENIZER_FILES = ["tokenizer.json", "tokenizer.model", "spiece.model", "vocab.json", "vocab.txt", "sentencepiece.bpe.model", "tiktoken.model"];
/** Architectures whose inputs are text, so inference needs a tokenizer beside the weights. */
const TEXT_ARCHITECTURE = /For(CausalLM|ConditionalGeneration|MaskedLM|Seq2SeqLM|SequenceClassification|TokenClassification|QuestionAnswering|MultipleChoice)$|Model$/;
const NON_TEXT_MODEL_TYPES = new Set(["vit", "resnet", "convnext", "swin", "deit", "beit", "dinov2", "wav2vec2", "whisper", "detr", "sam", "segformer", "clip_vision_model", "mobilenet_v2", "efficientnet"]);

/** The names torch and Trainer give the step and epoch in a checkpoint's pickle. */
const STEP_KEYS = ["global_step", "step", "steps", "iteration"];
const EPOCH_KEYS = ["epoch", "epochs"];

/**
 * Reads a checkpoint's model facts from its files: headers of weight files (a few reads each, never
 * the weights) and the small JSON and text files beside them. Constant memory in the size of the
 * weights; a file that cannot be read becomes a line in `problems` that names it and says why.
 */
export async function readModelFacts(files: FactsFile[], opts: { step?: number | null } = {}): Promise<ModelFacts> {
  const facts = emptyFacts();
  const byPath = new Map(files.map((f) => [f.path, f]));
  const problem = (file: string, why: string) => facts.problems.push(`${file}: ${why}`);

  const readJson = async (file: FactsFile): Promise<Record<string, unknown> | null> => {
    const text = await readText(file).catch((error: Error) => {
      problem(file.path, error.message);
      return null;
    });
    if (text === null) return null;
    try {
      const value: unknown = JSON.parse(text);
      if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
      problem(file.path, "is not a JSON object");
    } catch (error) {
      problem(file.path, `is not valid JSON (${(error as Error).message})`);
    }
    return null;
  };
  /** The shallowest file of that name: `config.json` of the model, not of a component folder. */
  const find = (name: string) => shallowest(files.filter((f) => path.posix.basename(f.path) === name));

  // Weights: every tensor file's header.
  const formats = new Set<ModelFormat>();
  // Optimizer, scheduler and RNG state are not the model: their files are not read at all.
  const weightFiles = files.filter((f) => weightFormatOf(f.path) !== null && !isTrainingState(f.path));
  if (weightFiles.length > WEIGHT_FILES_LIMIT) problem(`${weightFiles.length} weight files`, `only the first ${WEIGHT_FILES_LIMIT} were read`);
  let parameters = 0;
  let tensors = 0;
  const readings: { file: FactsFile; reading: WeightsReading }[] = [];
  for (const file of weightFiles.slice(0, WEIGHT_FILES_LIMIT)) {
    let reading: WeightsReading | null;
    try {
      reading = await readWeights(file.path, file.open());
    } catch (error) {
      problem(file.path, (error as Error).message);
      continue;
    }
    if (!reading) continue;
    readings.push({ file, reading });
    for (const tensor of reading.tensors) {
      if (tensor.group === "optimizer") continue;
      parameters += tensor.parameters;
      tensors += 1;
      facts.parametersByDtype[tensor.dtype] = (facts.parametersByDtype[tensor.dtype] ?? 0) + tensor.parameters;
    }
    formats.add(reading.format);
    const meta = reading.metadata ?? {};
    facts.step ??= firstNumber(meta, STEP_KEYS);
    facts.epoch ??= firstNumber(meta, EPOCH_KEYS);
    if (reading.format === "gguf") {
      facts.architecture ??= typeof meta.architecture === "string" ? meta.architecture : null;
      facts.quantization ??= typeof meta.quantization === "string" ? meta.quantization : null;
      facts.tokenizer ||= meta.tokenizer === true;
    }
  }
  if (readings.length > 0) {
    facts.parameters = parameters;
    facts.tensors = tensors;
  }
  facts.format = formats.size === 0 ? null : formats.size === 1 ? [...formats][0]! : "mixed";

  // Sharded safetensors: every shard the index names must be here.
  for (const index of files.filter((f) => f.path.endsWith(".safetensors.index.json"))) {
    const json = await readJson(index);
    const weightMap = json?.weight_map;
    if (!weightMap || typeof weightMap !== "object") continue;
    const dir = path.posix.dirname(index.path);
    const shards = new Set(Object.values(weightMap as Record<string, unknown>).filter((v): v is string => typeof v === "string"));
    for (const shard of shards) {
      const shardPath = dir === "." ? shard : `${dir}/${shard}`;
      if (!byPath.has(shardPath)) problem(index.path, `names the shard ${shard}, which is not in the checkpoint`);
    }
  }

  // config.json: what the model is.
  const configFile = find("config.json");
  const config = configFile ? await readJson(configFile) : null;
  if (config) {
    const architectures = Array.isArray(config.architectures) ? config.architectures.filter((a): a is string => typeof a === "string") : [];
    facts.architecture = architectures[0] ?? facts.architecture;
    facts.modelType = str(config.model_type);
    const textConfig = (config.text_config && typeof config.text_config === "object" ? config.text_config : {}) as Record<string, unknown>;
    const pick = (...keys: string[]) => firstNumber(config, keys) ?? firstNumber(textConfig, keys);
    facts.config = {
      hiddenSize: pick("hidden_size", "d_model", "n_embd", "dim"),
      layers: pick("num_hidden_layers", "n_layer", "num_layers", "n_layers"),
      vocabSize: pick("vocab_size"),
      torchDtype: str(config.torch_dtype) ?? str(config.dtype),
    };
  }

  // trainer_state.json (Hugging Face Trainer) and metrics files: where training was.
  const trainerFile = find("trainer_state.json");
  const trainer = trainerFile ? await readJson(trainerFile) : null;
  if (trainer) {
    facts.step = num(trainer.global_step) ?? facts.step;
    facts.epoch = num(trainer.epoch) ?? facts.epoch;
    const best = num(trainer.best_metric);
    if (best !== null) facts.metrics.best_metric = best;
    facts.bestCheckpoint = str(trainer.best_model_checkpoint);
    const history = Array.isArray(trainer.log_history) ? (trainer.log_history as unknown[]) : [];
    for (const entry of history) {
      if (!entry || typeof entry !== "object") continue;
      for (const [key, value] of Object.entries(entry as Record<string, unknown>)) {
        if ((key === "loss" || key.startsWith("eval_") || key === "train_loss") && typeof value === "number" && Number.isFinite(value)) facts.metrics[key] = value;
      }
    }
  }
  for (const name of ["all_results.json", "eval_results.json", "train_results.json", "metrics.json"]) {
    const file = find(name);
    const json = file ? await readJson(file) : null;
    for (const [key, value] of Object.entries(json ?? {})) {
      if (typeof value === "number" && Number.isFinite(value) && !(key in facts.metrics)) facts.metrics[key] = value;
    }
  }
  facts.step ??= opts.step ?? null;

  // PEFT: an adapter on a base model.
  const adapterFile = find("adapter_config.json");
  const adapter = adapterFile ? await readJson(adapterFile) : null;
  if (adapter) {
    const modules = adapter.target_modules;
    facts.adapter = {
      type: str(adapter.peft_type) ?? "adapter",
      baseModel: str(adapter.base_model_name_or_path),
      r: num(adapter.r),
      alpha: num(adapter.lora_alpha),
      targetModules: Array.isArray(modules) ? modules.filter((m): m is string => typeof m === "string") : typeof modules === "string" ? [modules] : [],
    };
    facts.modelType ??= str(adapter.task_type);
  }

  // Diffusers: a pipeline of component folders.
  const pipelineFile = files.find((f) => f.path === "model_index.json") ?? find("model_index.json");
  const pipeline = pipelineFile ? await readJson(pipelineFile) : null;
  if (pipeline) {
    const components = Object.entries(pipeline)
      .filter(([key, value]) => !key.startsWith("_") && Array.isArray(value) && value.length === 2 && value[0] !== null)
      .map(([key]) => key);
    facts.pipeline = { className: str(pipeline._class_name), components };
    facts.architecture ??= facts.pipeline.className;
  }

  facts.tokenizer ||= files.some((f) => TOKENIZER_FILES.includes(path.posix.basename(f.path)));

  // License: the model card's front matter, else a LICENSE file's first words.
  const card = shallowest(files.filter((f) => /^readme\.md$/i.test(path.posix.basename(f.path))));
  if (card) {
    facts.modelCard = card.path;
    const text = await readText(card).catch((error: Error) => {
      problem(card.path, error.message);
      return "";
    });
    facts.license = frontMatterLicense(text);
  }
  if (!facts.license) {
    const licenseFile = shallowest(files.filter((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(path.posix.basename(f.path))));
    if (licenseFile) facts.license = licenseName(await readText(licenseFile).catch(() => ""));
  }

  facts.inferenceReady = inferenceReady(facts, { config: config !== null, weights: formats.size > 0, adapterWeights: readings.some((r) => /adapter_model\./.test(r.file.path)) });
  return facts;
}

function inferenceReady(facts: ModelFacts, has: { config: boolean; weights: boolean; adapterWeights: boolean }): boolean {
  if (facts.format === "gguf") return true;
  if (facts.adapter) return has.adapterWeights;
  if (facts.pipeline) return has.weights && facts.pipeline.components.length > 0;
  if (!has.config || !has.weights) return false;
  const needsTokenizer = (facts.architecture ? TEXT_ARCHITECTURE.test(facts.architecture) : true) && !NON_TEXT_MODEL_TYPES.has(facts.modelType ?? "");
  return needsTokenizer ? facts.tokenizer : true;
}

async function readText(file: FactsFile): Promise<string> {
  if (file.size > TEXT_LIMIT) throw new Error(`is ${file.size} bytes; only files up to ${TEXT_LIMIT} bytes are read for facts`);
  if (file.size === 0) return "";
  return (await file.open().read(0, file.size)).toString("utf8");
}

function frontMatterLicense(text: string): string | null {
  const match = /^---\r?\n([\s\S]*?)\r?\n---/.exec(text);
  if (!match?.[1]) return null;
  try {
    const meta: unknown = parseYaml(match[1], { maxAliasCount: 10 });
    if (!meta || typeof meta !== "object") return null;
    const record = meta as Record<string, unknown>;
    const license = record.license;
    if (typeof license === "string") return license === "other" && typeof record.license_name === "string" ? record.license_name : license;
    if (Array.isArray(license) && typeof license[0] === "string") return license.join(", ");
  } catch {
    return null;
  }
  return null;
}

const KNOWN_LICENSES: [RegExp, string][] = [
  [/apache license,?\s+version 2\.0/i, "apache-2.0"],
  [/\bmit license\b/i, "mit"],
  [/gnu general public license[\s\S]{0,80}version 3/i, "gpl-3.0"],
  [/bsd 3-clause/i, "bsd-3-clause"],
  [/creative commons attribution[\s\S]{0,40}4\.0/i, "cc-by-4.0"],
  [/llama 3\.1 community license/i, "llama3.1"],
  [/llama 3 community license/i, "llama3"],
  [/llama 2 community license/i, "llama2"],
];

function licenseName(text: string): string {
  const head = text.slice(0, 4096);
  return KNOWN_LICENSES.find(([rule]) => rule.test(head))?.[1] ?? "other (see LICENSE)";
}

function shallowest(files: FactsFile[]): FactsFile | undefined {
  return files.reduce<FactsFile | undefined>((best, f) => (!best || f.path.split("/").length < best.path.split("/").length ? f : best), undefined);
}

const num = (value: unknown): number | null => (typeof value === "number" && Number.isFinite(value) ? value : null);
const str = (value: unknown): string | null => (typeof value === "string" && value !== "" ? value : null);
function firstNumber(record: Record<string, unknown>, keys: string[]): number | null {
  for (const key of keys) {
    const value = num(record[key]);
    if (value !== null) return value;
  }
  return null;
}
