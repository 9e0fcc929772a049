import { presetDrops } from "@/lib/checkpoints/derive-rule";
import { compileGlob } from "@/lib/checkpoints/path-globs";

/**
 * Files that are training state, not the model: what *weights only* drops (optimizer, scheduler,
 * RNG, DeepSpeed's global_step directories — one list, in derive-rule.ts), plus Trainer's
 * `training_args.bin`, a pickle of its arguments that holds no tensors.
 */
const TRAINING_STATE = [...presetDrops("weights-only").map((rule) => rule.glob), "training_args.bin"].map(compileGlob);

export const isTrainingState = (file: string): boolean => TRAINING_STATE.some((glob) => glob.matches(file));
