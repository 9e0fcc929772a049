import "server-only";
import { connectionProbe } from "@/lib/sources/registry";
import type { ProbeResult, SourceConnection } from "@/lib/sources/types";

export type { ProbeResult } from "@/lib/sources/types";

/**
 * A cheap authenticated call per provider, so users learn about bad credentials before an ingest
 * fails. The call lives with the adapter of the source type that declares the provider; providers
 * without one are accepted as saved and checked when a checkpoint first uses them.
 */
export async function probeConnection(connection: SourceConnection): Promise<ProbeResult> {
  const probe = connectionProbe(connection.provider);
  if (!probe) return { ok: true, message: `Saved. ${connection.provider} credentials are checked when a checkpoint first uses them.` };
  return probe(connection);
}
