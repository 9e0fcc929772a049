import { ApiClientError } from "@/lib/api/client";
import { createJobBody, jobCommand, jobEnv, type CreateJobBody, type JobResources, type JobType, type ResourceField } from "@/lib/api/schemas/jobs";
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
  /** What the job asks of its runner, as typed; only the fields the runner accepts are checked and sent. */
  resources: ResourceDraft;
};

/** The resource fields as the user typed them (empty: the runner's default). */
export type ResourceDraft = Record<ResourceField, string>;

export const emptyResources = (): ResourceDraft => ({ gpus: "", cpus: "", memoryGb: "", timeLimitMinutes: "", partition: "", image: "" });

export type LaunchProblems = {
  name: string | null;
  command: string | null;
  env: Record<number, string>;
  checkpoints: string | null;
  /** Per selected checkpoint, keyed by its ref. */
  checkpointRefs: Record<string, string>;
  /** Per resource field (`resources.gpus`, `partition`, `image` in the API's words). */
  resourceFields: Partial<Record<ResourceField, string>>;
  /** The runner's refusal of what was asked as a whole (Slurm's words), shown with the resource fields. */
  resources: string | null;
  /** What belongs to no field. */
  form: string | null;
};

const none = (): LaunchProblems => ({ name: null, command: null, env: {}, checkpoints: null, checkpointRefs: {}, resourceFields: {}, resources: null, form: null });

/** The largest value the API takes for each count (lib/api/schemas/jobs.ts). */
const COUNT_LIMITS = { gpus: 1024, cpus: 4096, timeLimitMinutes: 525_600 } as const;
const MEMORY_LIMIT_GB = 65_536;
const countWords = { gpus: ["GPU", "GPUs"], cpus: ["CPU", "CPUs"], timeLimitMinutes: ["minute", "minutes"] } as const;

/** Why a typed resource value is not accepted, or null (empty is fine: the runner's default). */
export function resourceProblem(field: ResourceField, raw: string): string | null {
  const value = raw.trim();
  if (!value) return null;
  if (field === "gpus" || field === "cpus" || field === "timeLimitMinutes") {
    const [one, many] = countWords[field];
    if (!/^\d+$/.test(value)) return `Enter a whole number of ${many}, such as ${field === "timeLimitMinutes" ? "120" : "1"}, or leave it empty.`;
    const count = Number(value);
    if (count < 1) return `At least 1 ${one}, or leave it empty for the default.`;
    if (count > COUNT_LIMITS[field]) return `At most ${COUNT_LIMITS[field].toLocaleString("en-US")} ${many}.`;
    return null;
  }
  if (field === "memoryGb") {
    if (!/^\d+(\.\d+)?$/.test(value)) return "Enter the memory in GiB, such as 16 or 0.5, or leave it empty.";
    const gib = Number(value);
    if (gib <= 0) return "More than 0 GiB, or leave it empty for the default.";
    if (gib > MEMORY_LIMIT_GB) return `At most ${MEMORY_LIMIT_GB.toLocaleString("en-US")} GiB.`;
    return null;
  }
  const parsed = createJobBody.shape[field].safeParse(value);
  return parsed.success ? null : (parsed.error.issues[0]?.message ?? `This ${field} is not accepted.`);
}

const filled = (draft: LaunchDraft, accepts: readonly ResourceField[]) =>
  accepts.filter((field) => draft.resources[field].trim() !== "");

const usedRows = (rows: EnvRow[]) => rows.filter((row) => row.key.trim() !== "" || row.value !== "");

/** The same rules the API applies (its zod schema), checked as the user types. */
export function draftProblems(draft: LaunchDraft, accepts: readonly ResourceField[] = []): LaunchProblems {
  const problems = none();
  for (const field of filled(draft, accepts)) {
    const problem = resourceProblem(field, draft.resources[field]);
    if (problem) problems.resourceFields[field] = problem;
  }
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
  Boolean(
    problems.name ||
      problems.command ||
      problems.checkpoints ||
      problems.form ||
      problems.resources ||
      Object.keys(problems.env).length > 0 ||
      Object.keys(problems.resourceFields).length > 0,
  );

/**
 * The request body; call only when `draftProblems` found nothing. Of the resource fields, only
 * the filled ones the runner `accepts` are sent: `resources`, `partition` and `image`.
 */
export function toCreateBody(draft: LaunchDraft, accepts: readonly ResourceField[] = []): CreateJobBody {
  const resources: JobResources = {};
  let partition: string | undefined;
  let image: string | undefined;
  for (const field of filled(draft, accepts)) {
    const value = draft.resources[field].trim();
    if (field === "partition") partition = value;
    else if (field === "image") image = value;
    else resources[field] = Number(value);
  }
  return {
    name: draft.name,
    type: draft.type,
    command: commandArgv(draft.commandLine, draft.throughShell).argv,
    checkpoints: draft.checkpoints.map((item) => ({
      ref: item.ref,
      ...(item.public ? { public: true } : {}),
      ...(item.public && item.acceptLicense ? { acceptLicense: true } : {}),
    })),
    captureOutputs: draft.captureOutputs,
    env: Object.fromEntries(usedRows(draft.env).map((row) => [row.key.trim(), row.value])),
    ...(Object.keys(resources).length > 0 ? { resources } : {}),
    ...(partition ? { partition } : {}),
    ...(image ? { image } : {}),
  };
}

const isResourceField = (field: string | undefined): field is ResourceField =>
  field === "gpus" || field === "cpus" || field === "memoryGb" || field === "timeLimitMinutes" || field === "partition" || field === "image";

/**
 * Puts each part of an API error where it belongs: `details.fields` keys like `name`,
 * `command.0`, `env.KEY`, `checkpoints.1.ref`, `resources.gpus`, `partition`, `image` and
 * `resources` (the runner's refusal as a whole), a 409 on the name, or a message naming a
 * selected checkpoint; the rest goes above the buttons. A resource field the form does not show
 * (not in `shown`) has its message put above the buttons too.
 */
export function serverProblems(error: unknown, draft: LaunchDraft, shown?: readonly ResourceField[]): LaunchProblems {
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
    } else if (head === "resources" && second === undefined) {
      problems.resources = message;
    } else if ((head === "resources" && isResourceField(second)) || head === "partition" || head === "image") {
      const resource = (head === "resources" ? second : head) as ResourceField;
      if (!shown || shown.includes(resource)) problems.resourceFields[resource] = message;
      else problems.form = problems.form ? `${problems.form} ${message}` : message;
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
