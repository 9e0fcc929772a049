import { sourceTypes, type SourceType } from "./kinds";

/**
 * Source types a person can create a checkpoint from (every type but `job`, which only jobs
 * produce). Free of server imports so the browser can use it; a test holds it equal to the
 * adapter registry plus local uploads.
 */
export const AVAILABLE_SOURCE_TYPES: readonly SourceType[] = sourceTypes.filter((t) => t !== "job");

export function sourceTypeAvailable(sourceType: string): sourceType is SourceType {
  return (AVAILABLE_SOURCE_TYPES as readonly string[]).includes(sourceType);
}
