import "server-only";
import { ModelFactsProblem } from "./source";

/** The deepest nesting of arrays and objects in a JSON text, counted in one pass without parsing it. */
export function jsonNestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i += 1;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x7d || c === 0x5d) depth -= 1;
  }
  return deepest;
}

/**
 * Parses a JSON object out of a file's bytes, refusing nesting deeper than `maxDepth` before the
 * parser sees it (a `[[[[…` bomb costs one scan, not a stack). `what` names the part in problems.
 */
export function parseJsonObject(bytes: Buffer, what: string, maxDepth: number, depthHint = ""): Record<string, unknown> {
  const text = bytes.toString("utf8");
  const depth = jsonNestingDepth(text);
  if (depth > maxDepth) throw new ModelFactsProblem(`${what} JSON is nested ${depth} levels deep${depthHint}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ModelFactsProblem(`${what} is not valid JSON (${(error as Error).message})`, { cause: error });
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) throw new ModelFactsProblem(`${what} is not a JSON object`);
  return value as Record<string, unknown>;
}
