import { ApiClientError } from "@/lib/api/client";
import { jobCommand, jobEnv, type CreateJobBody, type JobType } from "@/lib/api/schemas/jobs";
import { nameProblem } from "@/lib/checkpoints/naming";
import type { SelectedCheckpoint } from "./checkpoint-select";
import type { EnvRow } from "./job-env-editor";
import { commandArgv } from "./job-command-words";

export type LaunchDraft = {
  name: string;
  type: JobType;
  commandLine: string;
  throughShell: boolean;
  env: EnvRow[];
  checkpoints: SelectedCheckpoint[];
  captureOutputs: boolean;
};

export type LaunchProblems = {
  name: string | null;
  command: string | null;
  env: Record<number, string>;
  checkpoints: string | null;
  /** Per selected checkpoint, keyed by its ref. */
  checkpointRefs: Record<string, string>;
  /** What belongs to no field. */
  form: string | null;
};

const none = (): LaunchProblems => ({ name: null, command: null, env: {}, checkpoints: null, checkpointRefs: {}, form: null });

const usedRows = (rows: EnvRow[]) => rows.filter((row) => row.key.trim() !== "" || row.value !== "");

/** The same rules the API applies (its zod schema), checked as the user types. */
export function draftProblems(draft: LaunchDraft): LaunchProblems {
  const problems = none();
  problems.name = nameProblem(draft.name);

  const split = commandArgv(draft.commandLine, draft.throughShell);
  if (split.problem) problems.command = split.problem;
  else {
    const parsed = jobCommand.safeParse(split.argv);
    if (!parsed.success) problems.command = parsed.error.issues[0]?.message ?? "This command is not accepted.";
  }

  const seen = new Set<string>();
  for (const row of usedRows(draft.env)) {
    const key = row.key.trim();
    if (!key) problems.env[row.id] = "Name this variable, or remove the row.";
    else if (seen.has(key)) problems.env[row.id] = `${key} is set twice; keep one.`;
    else {
      const parsed = jobEnv.safeParse({ [key]: row.value });
      if (!parsed.success) problems.env[row.id] = parsed.error.issues[0]?.message ?? "This variable is not accepted.";
    }
    seen.add(key);
  }
  return problems;
}

export const hasProblems = (problems: LaunchProblems) =>
  Boolean(problems.name || problems.command || problems.checkpoints || problems.form || Object.keys(problems.env).length > 0);

/** The request body; call only when `draftProblems` found nothing. */
export function toCreateBody(draft: LaunchDraft): CreateJobBody {
  return {
    name: draft.name,
    type: draft.type,
    command: commandArgv(draft.commandLine, draft.throughShell).argv,
    checkpoints: draft.checkpoints.map((item) => (item.public ? { ref: item.ref, public: true } : { ref: item.ref })),
    captureOutputs: draft.captureOutputs,
    env: Object.fromEntries(usedRows(draft.env).map((row) => [row.key.trim(), row.value])),
  };
}

/**
 * Puts each part of an API error where it belongs: `details.fields` keys like `name`,
 * `command.0`, `env.KEY` and `checkpoints.1.ref`, a 409 on the name, or a message naming a
 * selected checkpoint; the rest goes above the buttons.
 */
export function serverProblems(error: unknown, draft: LaunchDraft): LaunchProblems {
  const problems = none();
  if (!error) return problems;
  if (!(error instanceof ApiClientError)) {
    problems.form = error instanceof Error ? error.message : "The job could not be launched.";
    return problems;
  }
  const fields = error.fields;
  let placed = false;
  for (const [field, message] of Object.entries(fields)) {
    const [head, second] = field.split(".");
    // A conflict's field note is terse ("already taken"); its message says what to do.
    if (head === "name") problems.name = error.code === "conflict" ? error.message : message;
    else if (head === "command") problems.command = message;
    else if (head === "env") {
      const row = usedRows(draft.env).find((r) => r.key.trim() === second);
      if (row) problems.env[row.id] = message;
      else problems.form = message;
    } else if (head === "checkpoints") {
      const item = second !== undefined ? draft.checkpoints[Number(second)] : undefined;
      if (item) problems.checkpointRefs[item.ref] = message;
      problems.checkpoints = problems.checkpoints ? `${problems.checkpoints} ${message}` : message;
    } else problems.form = problems.form ? `${problems.form} ${field}: ${message}` : `${field}: ${message}`;
    placed = true;
  }
  if (placed) return problems;

  if (error.code === "conflict" && /name/i.test(error.message) && !/checkpoint/i.test(error.message)) {
    problems.name = error.message;
    return problems;
  }
  const detailRef = typeof error.details?.checkpoint === "string" ? error.details.checkpoint : null;
  const named = draft.checkpoints.find(
    (item) => item.ref === detailRef || item.name === detailRef || error.message.includes(`'${item.name}'`) || error.message.includes(item.ref),
  );
  if (named) {
    problems.checkpointRefs[named.ref] = error.message;
    problems.checkpoints = error.message;
  } else problems.form = error.message;
  return problems;
}
