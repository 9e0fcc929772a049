"use client";

import { jobTypes, type JobType } from "@/lib/api/schemas/jobs";
import { cn } from "./ui/cn";

export const jobTypeLabels: Record<JobType, { label: string; description: string }> = {
  training: { label: "Training", description: "Train, or resume training from a checkpoint." },
  "fine-tuning": { label: "Fine-tuning", description: "Start from a checkpoint and adapt it to new data." },
  inference: { label: "Inference", description: "Load a checkpoint and run predictions." },
};

/** The job type as three radio cards (a native radio group, so arrow keys move between them). */
export function JobTypePicker({ value, onChange }: { value: JobType; onChange: (type: JobType) => void }) {
  return (
    <fieldset>
      <legend className="text-sm font-medium text-zinc-800">Type</legend>
      <div className="mt-1.5 grid gap-2 sm:grid-cols-3">
        {jobTypes.map((type) => {
          const checked = value === type;
          return (
            <label
              key={type}
              className={cn(
                "flex cursor-pointer items-start gap-2.5 rounded-lg border bg-white p-3 shadow-sm transition-colors has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-accent-500",
                checked ? "border-accent-500 ring-1 ring-accent-500" : "border-zinc-200 hover:border-zinc-300",
              )}
            >
              <input
                type="radio"
                name="job-type"
                value={type}
                checked={checked}
                onChange={() => onChange(type)}
                className="mt-0.5 size-4 accent-accent-600 focus:outline-none"
              />
              <span>
                <span className="block text-sm font-medium text-zinc-900">{jobTypeLabels[type].label}</span>
                <span className="block text-xs text-zinc-500">{jobTypeLabels[type].description}</span>
              </span>
            </label>
          );
        })}
      </div>
    </fieldset>
  );
}
