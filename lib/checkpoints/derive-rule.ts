import { compileGlob, globProblem, type PathGlob } from "./path-globs";

/*
 * Which files of a checkpoint a derived checkpoint keeps: the one home of that rule, shared by
 * the API (derive and its preview), the detail page's dialog and the tests. Browser-safe.
 */

export const derivePresets = ["weights-only"] as const;
export type DerivePreset = (typeof derivePresets)[number];

/** What a derive asks for: a preset, globs a kept file must match one of, globs it must match none of. */
export type DeriveSelection = { preset?: DerivePreset; include?: readonly string[]; exclude?: readonly string[] };

type PresetRule = { glob: string; what: string };

/**
 * What *weights only* leaves out: the state a run needs to resume training exactly, never to run
 * or fine-tune the model. Scheduler and RNG globs name files, not directories, so a Diffusers
 * pipeline's `scheduler/` configuration stays; `trainer_state.json` (step, losses) stays too.
 */
const WEIGHTS_ONLY_DROPS: readonly PresetRule[] = [
  // optimizer.pt, optimizer.bin, FSDP's optimizer_0/, DeepSpeed ZeRO's *_optim_states.pt shards
  { glob: "*optim*", what: "optimizer state" },
  { glob: "scheduler*.{pt,pth,bin}", what: "learning-rate scheduler state" },
  { glob: "rng_state*.{pth,pt}", what: "RNG state" },
  // Accelerate's save_state: random_states_0.pkl, scaler.pt
  { glob: "random_states_*.pkl", what: "RNG state" },
  { glob: "scaler.pt", what: "gradient scaler state" },
  { glob: "global_step*/", what: "DeepSpeed training state" },
  { glob: "/latest", what: "DeepSpeed's pointer to its global_step directory" },
  { glob: "zero_to_fp32.py", what: "DeepSpeed's script for its global_step shards" },
];

const presetRules: Record<DerivePreset, readonly PresetRule[]> = { "weights-only": WEIGHTS_ONLY_DROPS };

/** The globs a preset drops, with what each names, for the dialog and the docs. */
export function presetDrops(preset: DerivePreset): readonly PresetRule[] {
  return presetRules[preset];
}

/** Problems with a selection's globs, by field (`include.0`), as `fromZodError` would name them. */
export function selectionProblems(selection: DeriveSelection): Record<string, string> {
  const problems: Record<string, string> = {};
  for (const field of ["include", "exclude"] as const) {
    selection[field]?.forEach((glob, index) => {
      const problem = globProblem(glob);
      if (problem) problems[`${field}.${index}`] = problem;
    });
  }
  return problems;
}

export type DroppedFile<F> = F & { reason: string };
export type DerivePlan<F> = { kept: F[]; dropped: DroppedFile<F>[] };

/**
 * Splits `files` into the ones a derived checkpoint keeps and the ones it drops, each dropped one
 * with the reason. A file is kept when the preset keeps it, it matches one of `include` (when
 * any are given) and none of `exclude`. The globs must be valid (`selectionProblems`).
 */
export function planDerive<F extends { path: string }>(files: readonly F[], selection: DeriveSelection): DerivePlan<F> {
  const preset = (selection.preset ? presetRules[selection.preset] : []).map((rule) => ({ ...rule, compiled: compileGlob(rule.glob) }));
  const include = (selection.include ?? []).map(compileGlob);
  const exclude = (selection.exclude ?? []).map(compileGlob);
  const first = (globs: PathGlob[], path: string) => globs.find((glob) => glob.matches(path));

  const plan: DerivePlan<F> = { kept: [], dropped: [] };
  for (const file of files) {
    const dropping = preset.find((rule) => rule.compiled.matches(file.path));
    const excluded = first(exclude, file.path);
    const reason = dropping
      ? `${dropping.what} (${dropping.glob})`
      : include.length > 0 && !first(include, file.path)
        ? "matches no include glob"
        : excluded
          ? `excluded by ${excluded.glob}`
          : null;
    if (reason) plan.dropped.push({ ...file, reason });
    else plan.kept.push(file);
  }
  return plan;
}
