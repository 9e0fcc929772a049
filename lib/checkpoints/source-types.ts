import type { SourceType } from "@/lib/db/schema";

/**
 * Source types this server can ingest today; the create form shows only these. Kept free of
 * server imports so the browser can use it; a test holds it equal to the adapter registry.
 */
export const AVAILABLE_SOURCE_TYPES: readonly SourceType[] = [
  "local",
  "s3",
  "wasabi",
  "gcs",
  "azure",
  "huggingface",
  "git",
  "web",
  "kaggle",
  "datastore",
];

export function sourceTypeAvailable(sourceType: string): sourceType is SourceType {
  return (AVAILABLE_SOURCE_TYPES as readonly string[]).includes(sourceType);
}
