import { CliError } from "./config";

export type FileArg = { source: string; target?: string };

/**
 * `--file <source_path>[=<checkpoint_path>]`. Local paths may hold `=` themselves (`lr=0.1/`),
 * so the split is the last `=` whose left side exists; an argument that exists whole is a source.
 */
export function parseFileArg(arg: string, exists: (candidate: string) => boolean = () => false): FileArg {
  if (arg === "") throw new CliError("--file needs a path: --file <source_path>[=<checkpoint_path>]");
  if (!arg.includes("=") || exists(arg)) return { source: arg };
  const positions = [...arg.matchAll(/=/g)].map((match) => match.index ?? 0).reverse();
  const at = positions.find((position) => exists(arg.slice(0, position))) ?? positions[0];
  const source = arg.slice(0, at);
  const target = normalizeCheckpointPath(arg.slice(at + 1));
  if (source === "") throw new CliError(`--file ${arg}: the source path before '=' is empty.`);
  return { source, target: target === "" ? undefined : target };
}

/** A checkpoint path: `/`-separated, relative, no `.` or `..` segments. */
export function normalizeCheckpointPath(value: string): string {
  const segments = value.replaceAll("\\", "/").split("/").filter((segment) => segment !== "" && segment !== ".");
  if (segments.includes("..")) throw new CliError(`Checkpoint path '${value}' may not contain '..'.`);
  return segments.join("/");
}

/** `KEY=VALUE` pairs from repeated options (`--env`, `--config`, `--secret`). */
export function parsePairs(pairs: string[], option: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new CliError(`${option} ${pair}: expected KEY=VALUE.`);
    result[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return result;
}

/** Commander's collector for repeatable options. */
export const collect = (value: string, previous: string[] = []) => [...previous, value];
