import "server-only";
import { config } from "@/lib/config";
import type { Db } from "@/lib/db/client";
import { liveNamesOf, orgReservedBytes, orgStorageTotals, storageCensus, storageVersion } from "@/lib/db/queries/storage";
import { memoized } from "./memo";
import type { StorageResponse } from "@/lib/api/schemas/storage";

/** Below this many checkpoints the org-wide queries take a few milliseconds: they run every time. */
const MEMO_FROM = 2000;

export type OrgUsage = {
  /** Each blob the org's live checkpoints reference, once: what the quota is enforced on. */
  storedBytes: number;
  /** Declared by uploads still in flight, held against the quota until they land. */
  reservedBytes: number;
  /** `storedBytes + reservedBytes`: what counts against the quota now. */
  usedBytes: number;
  /** The plain sum of checkpoint sizes, as if nothing were shared. */
  logicalBytes: number;
  quotaBytes: number;
};

type MemoOptions = { memoFrom?: number };

/**
 * The organization's storage use, counted as unique bytes. Exact at the time of the call: large
 * orgs answer from a memo keyed on the version of their rows (lib/usage/memo.ts). Call it outside
 * transactions, so a memo never holds what a transaction did not commit.
 */
export async function orgUsage(db: Db, { orgId }: { orgId: string }, opts: MemoOptions = {}): Promise<OrgUsage> {
  const [version, reservedBytes] = await Promise.all([storageVersion(db, { orgId }), orgReservedBytes(db, { orgId })]);
  const memoFrom = opts.memoFrom ?? MEMO_FROM;
  const totals = await memoized(`totals:${orgId}`, version, () => orgStorageTotals(db, { orgId }), (t) => t.checkpoints >= memoFrom);
  return {
    storedBytes: totals.storedBytes,
    reservedBytes,
    usedBytes: totals.storedBytes + reservedBytes,
    logicalBytes: totals.logicalBytes,
    quotaBytes: config().orgQuotaBytes,
  };
}

/** `GET /storage`: used against quota, what sharing saves, the largest consumers and the usage per job series. */
export async function storageOverview(db: Db, { orgId, limit }: { orgId: string; limit: number }, opts: MemoOptions = {}): Promise<StorageResponse> {
  const [version, reservedBytes] = await Promise.all([storageVersion(db, { orgId }), orgReservedBytes(db, { orgId })]);
  const memoFrom = opts.memoFrom ?? MEMO_FROM;
  const census = await memoized(
    `census:${orgId}:${limit}`,
    version,
    () => storageCensus(db, { orgId, limit, seriesLimit: 20 }),
    (c) => c.checkpointCount >= memoFrom,
  );
  // Names are read fresh: a rename leaves the version (and the bytes) alone.
  const names = await liveNamesOf(db, { orgId, ids: census.checkpoints.map((c) => c.id) });
  return {
    usedBytes: census.storedBytes,
    logicalBytes: census.logicalBytes,
    savedBytes: Math.max(0, census.logicalBytes - census.storedBytes),
    reservedBytes,
    quotaBytes: config().orgQuotaBytes,
    checkpointCount: census.checkpointCount,
    blobCount: census.blobCount,
    checkpoints: census.checkpoints.map((c) => ({ ...c, name: names.get(c.id) ?? c.name, sharedBytes: Math.max(0, c.logicalBytes - c.exclusiveBytes) })),
    series: census.series,
  };
}
