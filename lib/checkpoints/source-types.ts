import type { SourceType } from "@/lib/db/schema";

/** Source types this server can ingest today; the create form shows only these. */
const available = new Set<string>(["local"]);

export function sourceTypeAvailable(sourceType: string): sourceType is SourceType {
  return available.has(sourceType);
}

export function availableSourceTypes(): SourceType[] {
  return [...available] as SourceType[];
}
