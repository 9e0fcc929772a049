import { sourceSpecTypes } from "@/lib/sources/specs";
import type { SourceType } from "./kinds";

/**
 * Source types a person can create a checkpoint from: local uploads and every registered type
 * (`job` checkpoints only come from jobs). Free of server imports so the browser can use it; a
 * test holds it equal to the adapter registry plus local uploads.
 */
export const AVAILABLE_SOURCE_TYPES: readonly SourceType[] = ["local", ...sourceSpecTypes];

export function sourceTypeAvailable(sourceType: string): sourceType is SourceType {
  return (AVAILABLE_SOURCE_TYPES as readonly string[]).includes(sourceType);
}
