import { describe, expect, it } from "vitest";
import { planDerive, selectionProblems } from "@/lib/checkpoints/derive-rule";
import { compileGlob, globProblem } from "@/lib/checkpoints/path-globs";

const paths = (files: { path: string }[]) => files.map((f) => f.path);
const matching = (glob: string, candidates: string[]) => candidates.filter(compileGlob(glob).matches);

describe("path globs", () => {
  const tree = ["model.safetensors", "config.json", "text/config.json", "text/encoder/model.safetensors", "global_step10/mp_rank_00.pt", "runs/global_step10"];

  it("matches a name at any depth when the glob has no slash, and names directories too", () => {
    expect(matching("*.safetensors", tree)).toEqual(["model.safetensors", "text/encoder/model.safetensors"]);
    expect(matching("config.json", tree)).toEqual(["config.json", "text/config.json"]);
    expect(matching("encoder", tree)).toEqual(["text/encoder/model.safetensors"]);
  });

  it("anchors a glob with a slash at the root; ** crosses directories", () => {
    expect(matching("/config.json", tree)).toEqual(["config.json"]);
    expect(matching("text/*.json", tree)).toEqual(["text/config.json"]);
    expect(matching("text/*", tree)).toEqual(["text/config.json", "text/encoder/model.safetensors"]);
    expect(matching("**/model.safetensors", tree)).toEqual(["model.safetensors", "text/encoder/model.safetensors"]);
    expect(matching("text/**/*.safetensors", tree)).toEqual(["text/encoder/model.safetensors"]);
  });

  it("a trailing slash matches directories only", () => {
    expect(matching("global_step*/", tree)).toEqual(["global_step10/mp_rank_00.pt"]);
    expect(matching("global_step*", tree)).toEqual(["global_step10/mp_rank_00.pt", "runs/global_step10"]);
  });

  it("reads ?, classes, negated classes, braces and escapes", () => {
    const names = ["a1.bin", "a2.bin", "ab.bin", "a*.bin", "x.pt", "x.pth"];
    expect(matching("a?.bin", names)).toEqual(["a1.bin", "a2.bin", "ab.bin", "a*.bin"]);
    expect(matching("a[0-9].bin", names)).toEqual(["a1.bin", "a2.bin"]);
    expect(matching("a[!0-9].bin", names)).toEqual(["ab.bin", "a*.bin"]);
    expect(matching("x.{pt,pth}", names)).toEqual(["x.pt", "x.pth"]);
    expect(matching("a\\*.bin", names)).toEqual(["a*.bin"]);
  });

  it("says what is wrong with a glob it cannot read", () => {
    expect(globProblem("*.bin")).toBeNull();
    expect(globProblem("a[0-9.bin")).toBe("'a[0-9.bin' has a '[' without its ']'.");
    expect(globProblem("x.{pt,pth")).toBe("'x.{pt,pth' has a '{' without its '}'.");
    expect(globProblem("a{b,{c,d}}")).toBe("'a{b,{c,d}}' nests braces, which Cairn's globs do not support.");
    expect(globProblem("trailing\\")).toBe("'trailing\\' ends with a lone '\\'.");
    expect(globProblem("[z-a]")).toBe("'[z-a]' is not a valid glob.");
    expect(globProblem("  ")).toBe("'  ' is empty.");
    expect(globProblem("/")).toBe("'/' matches every file; leave it out instead.");
    expect(selectionProblems({ include: ["*.bin", "[x"], exclude: ["{a"] })).toEqual({
      "include.1": "'[x' has a '[' without its ']'.",
      "exclude.0": "'{a' has a '{' without its '}'.",
    });
  });
});

describe("weights-only preset", () => {
  // What Hugging Face's Trainer writes with DeepSpeed, Accelerate's save_state and FSDP, side by side.
  const checkpoint = [
    "config.json",
    "generation_config.json",
    "model-00001-of-00002.safetensors",
    "model-00002-of-00002.safetensors",
    "model.safetensors.index.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "trainer_state.json",
    "training_args.bin",
    "optimizer.pt",
    "scheduler.pt",
    "rng_state.pth",
    "rng_state_3.pth",
    "latest",
    "zero_to_fp32.py",
    "global_step10/mp_rank_00_model_states.pt",
    "global_step10/bf16_zero_pp_rank_0_mp_rank_00_optim_states.pt",
    "zero_pp_rank_1_mp_rank_00_optim_states.pt",
    "optimizer_0/__0_0.distcp",
    "pytorch_model_fsdp_0/__0_0.distcp",
    "random_states_0.pkl",
    "scaler.pt",
    "scheduler/scheduler_config.json",
    "unet/diffusion_pytorch_model.safetensors",
    "docs/latest",
  ].map((path) => ({ path, size: 1 }));

  it("keeps the weights, configs, tokenizer and trainer state; drops optimizer, scheduler, RNG and DeepSpeed state", () => {
    const plan = planDerive(checkpoint, { preset: "weights-only" });
    expect(paths(plan.kept)).toEqual([
      "config.json",
      "generation_config.json",
      "model-00001-of-00002.safetensors",
      "model-00002-of-00002.safetensors",
      "model.safetensors.index.json",
      "tokenizer.json",
      "tokenizer_config.json",
      "special_tokens_map.json",
      "trainer_state.json",
      "training_args.bin",
      "pytorch_model_fsdp_0/__0_0.distcp",
      "scheduler/scheduler_config.json",
      "unet/diffusion_pytorch_model.safetensors",
      "docs/latest",
    ]);
    const reasons = Object.fromEntries(plan.dropped.map((f) => [f.path, f.reason]));
    expect(reasons).toEqual({
      "optimizer.pt": "optimizer state (*optim*)",
      "scheduler.pt": "learning-rate scheduler state (scheduler*.{pt,pth,bin})",
      "rng_state.pth": "RNG state (rng_state*.{pth,pt})",
      "rng_state_3.pth": "RNG state (rng_state*.{pth,pt})",
      latest: "DeepSpeed's pointer to its global_step directory (/latest)",
      "zero_to_fp32.py": "DeepSpeed's script for its global_step shards (zero_to_fp32.py)",
      "global_step10/mp_rank_00_model_states.pt": "DeepSpeed training state (global_step*/)",
      "global_step10/bf16_zero_pp_rank_0_mp_rank_00_optim_states.pt": "optimizer state (*optim*)",
      "zero_pp_rank_1_mp_rank_00_optim_states.pt": "optimizer state (*optim*)",
      "optimizer_0/__0_0.distcp": "optimizer state (*optim*)",
      "random_states_0.pkl": "RNG state (random_states_*.pkl)",
      "scaler.pt": "gradient scaler state (scaler.pt)",
    });
  });

  it("combines with include and exclude: a kept file passes the preset, one include and no exclude", () => {
    const plan = planDerive(checkpoint, { preset: "weights-only", include: ["*.safetensors", "*.json"], exclude: ["unet/"] });
    expect(paths(plan.kept)).toEqual([
      "config.json",
      "generation_config.json",
      "model-00001-of-00002.safetensors",
      "model-00002-of-00002.safetensors",
      "model.safetensors.index.json",
      "tokenizer.json",
      "tokenizer_config.json",
      "special_tokens_map.json",
      "trainer_state.json",
      "scheduler/scheduler_config.json",
    ]);
    const reasons = Object.fromEntries(plan.dropped.map((f) => [f.path, f.reason]));
    expect(reasons["training_args.bin"]).toBe("matches no include glob");
    expect(reasons["unet/diffusion_pytorch_model.safetensors"]).toBe("excluded by unet/");
    expect(reasons["optimizer.pt"]).toBe("optimizer state (*optim*)");
  });

  it("without a preset or globs keeps everything", () => {
    expect(planDerive(checkpoint, {}).kept).toHaveLength(checkpoint.length);
  });
});
