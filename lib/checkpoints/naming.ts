/** The naming rule for checkpoints, connections and jobs: what the API accepts and the forms check. */
export const NAME_PATTERN = /^[a-z0-9](?:[a-z0-9._-]{0,61}[a-z0-9])?$/;
export const NAME_RULE =
  "Use 1–63 characters of a-z, 0-9, '.', '_' and '-', starting and ending with a letter or digit.";

/** Why a name breaks the rule, in words a person can act on, or null when it is fine. */
export function nameProblem(name: string): string | null {
  if (name.length === 0) return "Enter a name.";
  if (name.length > 63) return `The name is ${name.length} characters long; ${NAME_RULE}`;
  if (/[A-Z]/.test(name)) return `Use lower case only. ${NAME_RULE}`;
  if (!NAME_PATTERN.test(name)) return NAME_RULE;
  return null;
}

export const FILE_PATH_RULE =
  "File paths are relative and '/'-separated: no leading '/', no '..' or '.' segments, no backslashes, no empty segments.";

/** Why a file path inside a checkpoint is unsafe or malformed, or null when it is fine. */
export function filePathProblem(filePath: string): string | null {
  if (filePath.length === 0) return `The file path is empty. ${FILE_PATH_RULE}`;
  if (filePath.length > 1024) return "The file path is longer than 1024 characters.";
  if (filePath.includes("\\")) return `'${filePath}' contains a backslash. ${FILE_PATH_RULE}`;
  if (filePath.includes("\0")) return `'${filePath}' contains a NUL byte.`;
  if (filePath.startsWith("/")) return `'${filePath}' starts with '/'. ${FILE_PATH_RULE}`;
  const segments = filePath.split("/");
  if (segments.some((s) => s === "")) return `'${filePath}' has an empty segment. ${FILE_PATH_RULE}`;
  if (segments.some((s) => s === ".." || s === ".")) return `'${filePath}' contains '.' or '..'. ${FILE_PATH_RULE}`;
  return null;
}
