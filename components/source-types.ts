import type { SourceType } from "@/lib/checkpoints/kinds";
import { sourceSpecs, type SourceOptionField } from "@/lib/sources/specs";

export type { SourceOptionField };

export type SourceTypeOption = {
  type: SourceType;
  label: string;
  description: string;
  /** What the path field expects, for source types that take one. */
  uriPlaceholder?: string;
  /** Whether a person can pick it in the create form (`job` checkpoints come from jobs, `derived` ones from a derive). */
  creatable: boolean;
  /** Optional `sourceOptions` the form offers for this type. */
  optionFields?: readonly SourceOptionField[];
};

/**
 * Every source type, as the create form and the filters show it: local uploads, each registered
 * type from its spec (lib/sources/specs.ts), job output and derived checkpoints. The create form
 * offers those the server reports as available.
 */
export const sourceTypeRegistry: SourceTypeOption[] = [
  { type: "local", label: "Local upload", description: "Drag files or whole folders from your computer. Resumable, multi-GB.", creatable: true },
  ...sourceSpecs.map(
    (spec): SourceTypeOption => ({
      type: spec.type,
      label: spec.label,
      description: spec.description,
      uriPlaceholder: spec.path.placeholder,
      creatable: true,
      optionFields: "options" in spec ? spec.options : undefined,
    }),
  ),
  { type: "job", label: "Job output", description: "Captured from a job's output directory.", creatable: false },
  { type: "derived", label: "Derived", description: "Some of another checkpoint's files, sharing their bytes.", creatable: false },
];

export function sourceTypeLabel(type: SourceType): string {
  return sourceTypeRegistry.find((o) => o.type === type)?.label ?? type;
}

export type AvailableSourceTypeOption = SourceTypeOption & { available: boolean };

/** The registry with each type marked available or not, from the server's list (`availableSourceTypes()`). */
export function sourceTypeOptions(availableTypes: readonly string[]): AvailableSourceTypeOption[] {
  return sourceTypeRegistry.map((o) => ({ ...o, available: o.creatable && availableTypes.includes(o.type) }));
}
