/**
 * Files that hold training state beside the weights — optimizer, scheduler and RNG state,
 * DeepSpeed's global_step directories, `*optim*` shards: never the model's parameters.
 */
const TRAINING_STATE = [
  /(^|\/)optimizer[^/]*$/,
  /(^|\/)scheduler[^/]*$/,
  /(^|\/)rng_state[^/]*$/,
  /(^|\/)global_step[^/]*\//,
  /optim[^/]*$/,
  /(^|\/)training_args\.bin$/,
];

export const isTrainingState = (file: string): boolean => TRAINING_STATE.some((rule) => rule.test(file));
