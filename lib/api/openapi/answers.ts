import type { z } from "zod";
import { errorEnvelopeFor } from "@/lib/api/schemas/common";
import { errorStatuses, type Operation } from "./registry";

/** The schema of a JSON answer with this status, `null` for a documented answer without a JSON body, `undefined` when the status is not documented. */
export function answerSchema(op: Operation, status: number): z.ZodType | null | undefined {
  const answer = op.responses[status];
  if (answer) return answer.schema ?? null;
  return errorStatuses(op).includes(status) ? errorEnvelopeFor(status) : undefined;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Fields of `sent` the parsed value lost: zod objects drop the keys they do not declare, so a key
 * missing from `parsed` is one the schema does not name (records and loose objects keep theirs).
 */
function undeclaredFields(sent: unknown, parsed: unknown, at: string, found: string[]): void {
  if (Array.isArray(sent) && Array.isArray(parsed)) {
    sent.forEach((item, i) => undeclaredFields(item, parsed[i], `${at}[${i}]`, found));
  } else if (isPlainObject(sent) && isPlainObject(parsed)) {
    for (const [key, value] of Object.entries(sent)) {
      const path = at ? `${at}.${key}` : key;
      if (key in parsed) undeclaredFields(value, parsed[key], path, found);
      else found.push(`${path} is sent but not in the schema`);
    }
  }
}

/**
 * What is wrong with one answer of `op`, measured against the document: a status it does not
 * document, a JSON body where it documents none, a body its schema rejects (a wrong type, a
 * missing field, a value outside an enum), or a field the schema does not name. Empty when the
 * answer is as documented. `body` is the parsed JSON, or `undefined` when the answer is not JSON.
 */
export function answerProblems(op: Operation, status: number, body: unknown): string[] {
  const schema = answerSchema(op, status);
  if (schema === undefined) return [`status ${status} is not documented`];
  if (body === undefined) return [];
  if (schema === null) return [`a JSON body is sent where the document names none`];
  const result = schema.safeParse(body);
  if (!result.success) {
    return result.error.issues.map((issue) => `${issue.path.join(".") || "(body)"}: ${issue.message}`);
  }
  const found: string[] = [];
  undeclaredFields(body, result.data, "", found);
  return found;
}
