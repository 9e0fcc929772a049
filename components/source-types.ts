import type { SourceType } from "@/lib/db/schema";
import { ruleFor } from "@/lib/sources/rules";

/** A `sourceOptions` entry the create form asks for (the adapters read these keys). */
export type SourceOptionField = {
  key: "endpoint" | "branch" | "revision" | "kaggleType";
  label: string;
  placeholder?: string;
  hint?: string;
  /** A fixed set of values; the first, with value "", means "leave it to the server". */
  choices?: { value: string; label: string }[];
};

const endpointOption: SourceOptionField = {
  key: "endpoint",
  label: "Endpoint",
  placeholder: "https://s3.example.com",
  hint: "For S3-compatible stores. Overrides the connection's endpoint.",
};

export type SourceTypeOption = {
  type: SourceType;
  label: string;
  description: string;
  /** What the path field expects, for source types that take one. */
  uriPlaceholder?: string;
  /** Whether a person can pick it in the create form (`job` checkpoints come from jobs). */
  creatable: boolean;
  /** Optional `sourceOptions` the form offers for this type. */
  optionFields?: SourceOptionField[];
};

const option = (o: Omit<SourceTypeOption, "creatable"> & { creatable?: boolean }): SourceTypeOption => ({ creatable: true, ...o });

/** Every source type of DESIGN.md; the create form offers those the server reports as available. */
export const sourceTypeRegistry: SourceTypeOption[] = [
  option({ type: "local", label: "Local upload", description: "Drag files or whole folders from your computer. Resumable, multi-GB." }),
  option({ type: "s3", label: "Amazon S3", description: "S3 or S3-compatible storage: R2, MinIO, Ceph.", uriPlaceholder: "s3://bucket/prefix/", optionFields: [endpointOption] }),
  option({
    type: "wasabi",
    label: "Wasabi",
    description: "A Wasabi bucket or object.",
    uriPlaceholder: "s3://bucket/prefix/",
    optionFields: [{ ...endpointOption, placeholder: "https://s3.wasabisys.com", hint: "Defaults to Wasabi's endpoint for the connection's region." }],
  }),
  option({ type: "gcs", label: "Google Cloud Storage", description: "A GCS bucket prefix or object.", uriPlaceholder: "gs://bucket/prefix/" }),
  option({
    type: "azure",
    label: "Azure Blob Storage",
    description: "A container prefix in an Azure storage account.",
    uriPlaceholder: "https://<account>.blob.core.windows.net/<container>/<prefix>",
  }),
  option({
    type: "huggingface",
    label: "Hugging Face",
    description: "A model repository, optionally at a branch or revision.",
    uriPlaceholder: "namespace/repo",
    optionFields: [{ key: "revision", label: "Revision", placeholder: "main", hint: "A branch, tag or commit. Defaults to main." }],
  }),
  option({
    type: "git",
    label: "Git",
    description: "A Git repository over HTTPS or SSH; LFS files are fetched.",
    uriPlaceholder: "https://host/org/repo.git",
    optionFields: [{ key: "branch", label: "Branch", placeholder: "main", hint: "Defaults to the remote's default branch." }],
  }),
  option({ type: "web", label: "Web", description: "A file or archive over HTTP(S) or FTP(S).", uriPlaceholder: "https://example.com/ckpt.tar.gz" }),
  option({
    type: "kaggle",
    label: "Kaggle",
    description: "A competition, dataset or kernel.",
    uriPlaceholder: "owner/dataset",
    optionFields: [
      {
        key: "kaggleType",
        label: "Kind",
        hint: "owner/name is a dataset unless you pick kernel; a single name is a competition.",
        choices: [
          { value: "", label: "From the name" },
          { value: "competition", label: "Competition" },
          { value: "dataset", label: "Dataset" },
          { value: "kernel", label: "Kernel" },
        ],
      },
    ],
  }),
  option({ type: "datastore", label: "Datastore", description: "A directory the administrator exposes on the server.", uriPlaceholder: "/datastore/path/" }),
  option({ type: "job", label: "Job output", description: "Captured from a job's output directory.", creatable: false }),
];

export function sourceTypeLabel(type: SourceType): string {
  return sourceTypeRegistry.find((o) => o.type === type)?.label ?? type;
}

export type AvailableSourceTypeOption = SourceTypeOption & { available: boolean };

/** The registry with each type marked available or not, from the server's list (`availableSourceTypes()`). */
export function sourceTypeOptions(availableTypes: readonly string[]): AvailableSourceTypeOption[] {
  return sourceTypeRegistry.map((o) => ({ ...o, available: o.creatable && availableTypes.includes(o.type) }));
}

/** Connection providers whose credentials fit a source type; empty when the type takes no connection. */
export function connectionProvidersFor(type: SourceType): string[] {
  return ruleFor(type)?.providers ?? [];
}
