/**
 * Each source type's path rule, shared by the create form (checked as the user types) and the
 * API. Pure functions without Node imports, so the browser bundle can use them.
 */
export type SourceRule = {
  type: string;
  label: string;
  placeholder: string;
  rule: string;
  /** Connection providers whose credentials fit this source type. */
  providers: string[];
  check(uri: string): boolean;
};

export const sourceRules: SourceRule[] = [
  { type: "local", label: "Local upload", placeholder: "", rule: "Drag files or folders onto the page.", providers: [], check: () => true },
  {
    type: "s3",
    label: "Amazon S3 / S3-compatible",
    placeholder: "s3://bucket/prefix/",
    rule: "An S3 path begins with s3:// — s3://bucket/prefix/ for a folder, s3://bucket/key for one file.",
    providers: ["s3"],
    check: (uri) => /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(uri),
  },
  {
    type: "wasabi",
    label: "Wasabi",
    placeholder: "s3://bucket/prefix/",
    rule: "A Wasabi path begins with s3:// — s3://bucket/prefix/ for a folder, s3://bucket/key for one file.",
    providers: ["s3"],
    check: (uri) => /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(uri),
  },
  {
    type: "gcs",
    label: "Google Cloud Storage",
    placeholder: "gs://bucket/prefix/",
    rule: "A Google Cloud Storage path begins with gs:// — gs://bucket/prefix/.",
    providers: ["gcs"],
    check: (uri) => /^gs:\/\/[a-z0-9][a-z0-9._-]{1,220}[a-z0-9](\/.*)?$/.test(uri),
  },
  {
    type: "azure",
    label: "Azure Blob Storage",
    placeholder: "https://account.blob.core.windows.net/container/prefix/",
    rule: "An Azure path is https://<account>.blob.core.windows.net/<container>/<prefix>.",
    providers: ["azure"],
    check: (uri) => /^https:\/\/[^/\s]+\/[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])(\/.*)?$/.test(uri),
  },
  {
    type: "huggingface",
    label: "Hugging Face",
    placeholder: "namespace/repo",
    rule: "A Hugging Face path is <namespace>/<repo>, e.g. mistralai/Mistral-7B-v0.1.",
    providers: ["huggingface"],
    check: (uri) => /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}\/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/.test(uri),
  },
  {
    type: "git",
    label: "Git",
    placeholder: "https://github.com/org/repo.git",
    rule: "A git path is an http(s) or ssh URL: https://host/org/repo.git, ssh://git@host/org/repo.git or git@host:org/repo.git.",
    providers: ["git"],
    check: (uri) =>
      !uri.startsWith("-") &&
      (/^https?:\/\/[^\s/]+\/\S+$/.test(uri) || /^ssh:\/\/[^\s/]+\/\S+$/.test(uri) || /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s-][^\s]*$/.test(uri)),
  },
  {
    type: "web",
    label: "Web (HTTP/FTP)",
    placeholder: "https://example.com/model.tar.gz",
    rule: "A web path begins with http://, https://, ftp:// or ftps://.",
    providers: [],
    check: (uri) => /^(https?|ftps?):\/\/[^\s/]+(\/\S*)?$/.test(uri),
  },
  {
    type: "kaggle",
    label: "Kaggle",
    placeholder: "owner/dataset-name",
    rule: "A Kaggle path is a short name: a competition (titanic), a dataset or kernel (owner/name).",
    providers: ["kaggle"],
    check: (uri) => /^[A-Za-z0-9][A-Za-z0-9_-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/.test(uri),
  },
  {
    type: "datastore",
    label: "Datastore",
    placeholder: "/mnt/datastore/models/llama/",
    rule: "A datastore path is an absolute server path beginning with / under a root the administrator exposes.",
    providers: [],
    check: (uri) => uri.startsWith("/") && !uri.split("/").includes(".."),
  },
];

export function ruleFor(type: string): SourceRule | undefined {
  return sourceRules.find((r) => r.type === type);
}

/** The rule's sentence when the path breaks it, or null. */
export function sourcePathProblem(type: string, uri: string | undefined): string | null {
  const rule = ruleFor(type);
  if (!rule || type === "local") return null;
  if (!uri) return `Enter a path. ${rule.rule}`;
  return rule.check(uri) ? null : rule.rule;
}

export const ARCHIVE_PATTERN = /\.(zip|tar|tar\.gz|tgz|tar\.bz2|bz2)$/i;
