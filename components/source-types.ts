import type { SourceType } from "@/lib/db/schema";

export type SourceTypeOption = {
  type: SourceType;
  label: string;
  description: string;
  /** What the path field expects, for source types that take one. */
  uriPlaceholder?: string;
  /** Whether a person can pick it in the create form (`job` checkpoints come from jobs). */
  creatable: boolean;
};

const option = (o: Omit<SourceTypeOption, "creatable"> & { creatable?: boolean }): SourceTypeOption => ({ creatable: true, ...o });

/** Every source type of DESIGN.md; the create form offers those the server reports as available. */
export const sourceTypeRegistry: SourceTypeOption[] = [
  option({ type: "local", label: "Local upload", description: "Drag files or whole folders from your computer. Resumable, multi-GB." }),
  option({ type: "s3", label: "Amazon S3", description: "S3 or S3-compatible storage: R2, MinIO, Ceph.", uriPlaceholder: "s3://bucket/prefix/" }),
  option({ type: "wasabi", label: "Wasabi", description: "A Wasabi bucket or object.", uriPlaceholder: "s3://bucket/prefix/" }),
  option({ type: "gcs", label: "Google Cloud Storage", description: "A GCS bucket prefix or object.", uriPlaceholder: "gs://bucket/prefix/" }),
  option({
    type: "azure",
    label: "Azure Blob Storage",
    description: "A container prefix in an Azure storage account.",
    uriPlaceholder: "https://<account>.blob.core.windows.net/<container>/<prefix>",
  }),
  option({ type: "huggingface", label: "Hugging Face", description: "A model repository, optionally at a branch or revision.", uriPlaceholder: "namespace/repo" }),
  option({ type: "git", label: "Git", description: "A Git repository over HTTPS or SSH; LFS files are fetched.", uriPlaceholder: "https://host/org/repo.git" }),
  option({ type: "web", label: "Web", description: "A file or archive over HTTP(S) or FTP(S).", uriPlaceholder: "https://example.com/ckpt.tar.gz" }),
  option({ type: "kaggle", label: "Kaggle", description: "A competition, dataset or kernel.", uriPlaceholder: "owner/dataset" }),
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
