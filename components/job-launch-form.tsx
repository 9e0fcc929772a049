"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, type FormEvent, type ReactNode } from "react";
import { NAME_RULE } from "@/lib/checkpoints/naming";
import { useCreateJob, useRunnerInfo } from "@/lib/hooks/use-jobs";
import { CheckpointSelect } from "./checkpoint-select";
import { JobCommandField } from "./job-command-field";
import { commandArgv } from "./job-command-words";
import { JobEnvEditor } from "./job-env-editor";
import { draftProblems, emptyResources, hasProblems, serverProblems, toCreateBody, type LaunchDraft, type LaunchProblems } from "./job-launch-rules";
import { JobResourceFields, resourceInputIds, resourceSectionDescription } from "./job-resource-fields";
import { JobTypePicker } from "./job-type-picker";
import { Button, buttonClasses } from "./ui/button";
import { InlineError } from "./ui/error-state";
import { Input } from "./ui/input";
import { FieldMessage, Label } from "./ui/label";
import { Switch } from "./ui/switch";

const emptyDraft: LaunchDraft = {
  name: "",
  type: "training",
  commandLine: "",
  throughShell: false,
  env: [],
  checkpoints: [],
  captureOutputs: true,
  resources: emptyResources(),
};

/** The first field with a problem, in the order of the form, so submitting brings it into view. */
function firstProblemField(problems: LaunchProblems, accepts: readonly string[]): string | null {
  if (problems.name) return "job-name";
  if (problems.checkpoints) return "job-checkpoints";
  if (problems.command) return "job-command";
  const resource = (Object.keys(resourceInputIds) as (keyof typeof resourceInputIds)[]).find(
    (field) => accepts.includes(field) && problems.resourceFields[field],
  );
  if (resource) return resourceInputIds[resource];
  // The runner's refusal names no field: the first resource field is where to change the request.
  const first = (Object.keys(resourceInputIds) as (keyof typeof resourceInputIds)[]).find((field) => accepts.includes(field));
  if (problems.resources && first) return resourceInputIds[first];
  return null;
}

function Section({ title, description, children }: { title: string; description?: string; children: ReactNode }) {
  return (
    <section className="grid gap-4 border-t border-zinc-200 pt-6 first:border-t-0 first:pt-0 md:grid-cols-[12rem_1fr]">
      <div>
        <h2 className="text-sm font-semibold text-zinc-900">{title}</h2>
        {description && <p className="mt-1 text-xs [overflow-wrap:anywhere] text-zinc-500">{description}</p>}
      </div>
      <div className="min-w-0 space-y-5">{children}</div>
    </section>
  );
}

/** The job launch form: rules checked as the user types, the API's answers shown on the field they name. */
export function JobLaunchForm({ initial = {}, initialCatalog = false }: { initial?: Partial<LaunchDraft>; initialCatalog?: boolean }) {
  const router = useRouter();
  const [draft, setDraft] = useState<LaunchDraft>({ ...emptyDraft, ...initial });
  const [catalog, setCatalog] = useState(initialCatalog);
  const [touched, setTouched] = useState({ name: false, command: false });
  const [submitted, setSubmitted] = useState(false);
  const [submittedDraft, setSubmittedDraft] = useState<LaunchDraft | null>(null);
  const create = useCreateJob();
  const runner = useRunnerInfo();
  const accepts = runner.data?.accepts ?? [];
  // The local runner honours no resource field: one line says so instead of a section.
  const runsLocally = runner.data?.accepts.length === 0;

  const local = draftProblems(draft, accepts);
  const server = serverProblems(create.error, submittedDraft ?? draft, runner.data ? accepts : undefined);
  const nameError = (touched.name || submitted || draft.name.length > 0 ? local.name : null) ?? server.name;
  const commandError = (touched.command || submitted ? local.command : null) ?? server.command;
  const envProblems = { ...server.env, ...local.env };
  const resourceProblems = { ...server.resourceFields, ...local.resourceFields };
  const split = commandArgv(draft.commandLine, draft.throughShell);

  function change(patch: Partial<LaunchDraft>) {
    setDraft((current) => ({ ...current, ...patch }));
    if (create.error) create.reset();
  }

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSubmitted(true);
    if (hasProblems(local)) {
      const first = firstProblemField(local, accepts);
      if (first) document.getElementById(first)?.focus();
      return;
    }
    setSubmittedDraft(draft);
    create.mutate(toCreateBody(draft, accepts), {
      onError: (error) => {
        // Bring the field the API named into view: the button that sent the form is far below it.
        const field = firstProblemField(serverProblems(error, draft, runner.data ? accepts : undefined), accepts);
        if (field) document.getElementById(field)?.focus();
      },
      onSuccess: (job) => {
        // The job page is taller than the viewport from its first paint, so the router keeps the
        // form's scroll position; start the new page at its top instead.
        window.scrollTo({ top: 0 });
        router.push(`/jobs/${encodeURIComponent(job.name)}`);
      },
    });
  }

  return (
    <form onSubmit={submit} noValidate className="space-y-6 rounded-xl border border-zinc-200 bg-white p-6 shadow-sm">
      <Section title="Job" description="What runs, and what kind of work it does.">
        <div>
          <Label htmlFor="job-name">Name</Label>
          <Input
            id="job-name"
            value={draft.name}
            autoFocus={!draft.name}
            autoComplete="off"
            spellCheck={false}
            placeholder="llama-3-8b-finetune-1"
            onChange={(event) => change({ name: event.target.value })}
            onBlur={() => setTouched((t) => ({ ...t, name: true }))}
            aria-invalid={nameError ? true : undefined}
            aria-describedby="job-name-message"
            className="mt-1.5 max-w-md font-mono"
          />
          <FieldMessage id="job-name-message" error={Boolean(nameError)}>
            {nameError ?? NAME_RULE}
          </FieldMessage>
        </div>
        <JobTypePicker value={draft.type} onChange={(type) => change({ type })} />
      </Section>

      <Section
        title="Checkpoints"
        description="Mounted read-only under $FLEXAI_INPUT_CHECKPOINT_DIR/<name>; the first is also $TRAINML_CHECKPOINT_PATH."
      >
        <div>
          <Label htmlFor="job-checkpoints">Attach checkpoints</Label>
          <div className="mt-1.5">
            <CheckpointSelect
              id="job-checkpoints"
              value={draft.checkpoints}
              onChange={(checkpoints) => change({ checkpoints })}
              catalog={catalog}
              onCatalogChange={setCatalog}
              problems={server.checkpointRefs}
              invalid={Boolean(server.checkpoints)}
              describedBy="job-checkpoints-message"
            />
          </div>
          <FieldMessage id="job-checkpoints-message" error={Boolean(server.checkpoints)}>
            {server.checkpoints ??
              (draft.checkpoints.length === 0
                ? "Optional. Only ready checkpoints can be attached."
                : `${draft.checkpoints.length} attached; ${draft.checkpoints[0]?.name} is $TRAINML_CHECKPOINT_PATH.`)}
          </FieldMessage>
          {draft.checkpoints.some((item) => item.public && item.license) && (
            <fieldset className="mt-3 space-y-2 rounded-md border border-zinc-200 bg-zinc-50 p-3">
              <legend className="px-1 text-xs font-medium text-zinc-600">Licenses</legend>
              {draft.checkpoints.map((item, index) =>
                item.public && item.license ? (
                  <label key={item.ref} className="flex items-start gap-2 text-sm text-zinc-800">
                    <input
                      type="checkbox"
                      className="mt-0.5"
                      checked={item.acceptLicense === true}
                      onChange={(event) =>
                        change({ checkpoints: draft.checkpoints.map((other, i) => (i === index ? { ...other, acceptLicense: event.target.checked } : other)) })
                      }
                    />
                    <span>
                      I accept the <span className="font-medium">{item.license}</span> license of <span className="font-mono">{item.name}</span>
                      <span className="block text-xs text-zinc-500">Asked once: Cairn records who accepted it and when.</span>
                    </span>
                  </label>
                ) : null,
              )}
            </fieldset>
          )}
        </div>
        <Switch
          id="job-capture-outputs"
          checked={draft.captureOutputs}
          onChange={(captureOutputs) => change({ captureOutputs })}
          label="Capture outputs"
          description="Every sub-directory the job writes to $FLEXAI_OUTPUT_CHECKPOINT_DIR becomes a checkpoint named <job>-<directory>, while the job runs."
        />
      </Section>

      <Section title="Command" description="The process the job starts, in its own working directory.">
        <JobCommandField
          line={draft.commandLine}
          onLineChange={(commandLine) => change({ commandLine })}
          throughShell={draft.throughShell}
          onThroughShellChange={(throughShell) => change({ throughShell })}
          split={split}
          onBlur={() => setTouched((t) => ({ ...t, command: true }))}
          error={commandError}
        />
        <JobEnvEditor rows={draft.env} onChange={(env) => change({ env })} problems={envProblems} />
        {runsLocally && <p className="text-xs text-zinc-500">Runs on the Cairn server itself (the local runner), so there are no GPUs, CPUs or memory to ask for.</p>}
      </Section>

      {!runsLocally && (
        <Section title="Resources" description={resourceSectionDescription(runner.data)}>
          <JobResourceFields
            runner={runner}
            values={draft.resources}
            onChange={(resources) => change({ resources })}
            problems={resourceProblems}
            refusal={server.resources}
          />
        </Section>
      )}

      {server.form && <InlineError error={new Error(server.form)} />}
      {submitted && hasProblems(local) && (
        <p role="alert" className="text-sm text-red-600">
          Fix the highlighted fields to launch the job.
        </p>
      )}
      <div className="flex items-center justify-end gap-2 border-t border-zinc-200 pt-5">
        <Link href="/jobs" className={buttonClasses({ variant: "ghost" })}>
          Cancel
        </Link>
        <Button type="submit" pending={create.isPending}>
          Launch job
        </Button>
      </div>
    </form>
  );
}
