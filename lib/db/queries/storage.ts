import "server-only";
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../client";
import { uploads } from "../schema";

/*
 * Storage accounting. An organization uses each blob its live checkpoints reference once, however
 * many checkpoints (or paths) hold it: that is `stored` bytes, the figure the quota is enforced on.
 * `logical` bytes are the plain sum of checkpoint sizes. A blob is *exclusive* to a checkpoint when
 * no other live checkpoint of the org holds it: deleting the checkpoint frees exactly those bytes.
 *
 * The memo in lib/usage keys these figures on `storageVersion`, which must move whenever what they
 * count moves, yet cost a few index probes, not a scan of the org's rows. It holds because:
 * - the files of a complete checkpoint (ready, exporting) never change;
 * - every other checkpoint is in the org's status index, and every write to its files updates its
 *   row in the same transaction (putFileRow keeps size and file count in step; commits, cancels
 *   and failures change its status), giving the row a new `xmin`;
 * - a checkpoint leaves the live set through the two-phase delete, which writes an audit event in
 *   the transaction that removes it, and enters it as an open checkpoint (or, derived, as a ready
 *   one with a newer `created_at`).
 */

const rowsOf = <T>(result: unknown): T[] => (result as { rows: T[] }).rows;

/** One parameter however long the list (ids and hex digests need no quoting). */
const pgArray = (values: string[]) => `{${values.join(",")}}`;

const OPEN_STATUSES = sql.raw(`'new', 'uploading', 'downloading', 'extracting', 'failed'`);

/**
 * A fingerprint of what the org-wide figures depend on (see above), from three index probes: the
 * newest live checkpoint, the newest audit event, and the row versions, sizes and file counts of
 * the checkpoints not complete. A complete checkpoint's facts, name, pin or visibility changing
 * leaves it alone.
 */
export async function storageVersion(db: Db, { orgId }: { orgId: string }): Promise<string> {
  const [row] = rowsOf<{ newest: string | null; audit: string | null; open: string | null }>(
    await db.execute(sql`
      select (select max(created_at) from checkpoints where org_id = ${orgId} and deleted_at is null)::text as newest,
             (select max(id) from audit_events where org_id = ${orgId})::text as audit,
             (select concat_ws(':', count(*), sum(size), sum(file_count), sum(xmin::text::bigint)) from checkpoints
               where org_id = ${orgId} and status in (${OPEN_STATUSES}) and deleted_at is null) as open`),
  );
  return `${row?.newest ?? "-"}|${row?.audit ?? "-"}|${row?.open ?? "-"}`;
}

export type StorageTotals = { storedBytes: number; logicalBytes: number; checkpoints: number };

/** The org's unique bytes (each blob its live checkpoints reference, once), logical bytes and live checkpoint count. */
export async function orgStorageTotals(db: Db, { orgId }: { orgId: string }): Promise<StorageTotals> {
  const [row] = rowsOf<{ stored: string; logical: string; n: number }>(
    await db.execute(sql`
      select (select coalesce(sum(size), 0) from (
                select max(f.size) as size
                  from checkpoint_files f join checkpoints c on c.id = f.checkpoint_id
                 where c.org_id = ${orgId} and c.deleted_at is null
                 group by f.sha256) held)::text as stored,
             (select coalesce(sum(size), 0) from checkpoints where org_id = ${orgId} and deleted_at is null)::text as logical,
             (select count(*)::int from checkpoints where org_id = ${orgId} and deleted_at is null) as n`),
  );
  return { storedBytes: Number(row?.stored ?? 0), logicalBytes: Number(row?.logical ?? 0), checkpoints: row?.n ?? 0 };
}

/** The current names of these live checkpoints (a rename does not move the version). */
export async function liveNamesOf(db: Db, { orgId, ids }: { orgId: string; ids: string[] }): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = rowsOf<{ id: string; name: string }>(
    await db.execute(sql`select id, name from checkpoints where org_id = ${orgId} and deleted_at is null and id = any(${pgArray(ids)}::uuid[])`),
  );
  return new Map(rows.map((r) => [r.id, r.name]));
}

/** Bytes open uploads of the org have declared and not yet delivered: held against the quota. */
export async function orgReservedBytes(db: Db, { orgId }: { orgId: string }): Promise<number> {
  const [row] = await db
    .select({ bytes: sql<string>`coalesce(sum(${uploads.declaredSize}), 0)::text` })
    .from(uploads)
    .where(and(eq(uploads.orgId, orgId), eq(uploads.status, "active")));
  return Number(row?.bytes ?? 0);
}

export type CensusCheckpoint = { id: string; name: string; logicalBytes: number; exclusiveBytes: number; createdAt: string };
export type CensusSeries = { jobId: string | null; jobName: string | null; checkpoints: number; logicalBytes: number; exclusiveBytes: number };
export type StorageCensus = {
  storedBytes: number;
  logicalBytes: number;
  checkpointCount: number;
  blobCount: number;
  /** The largest consumers: by exclusive bytes (what deleting each frees), then by size. */
  checkpoints: CensusCheckpoint[];
  /** Usage per job series (checkpoints captured from one job); `jobId: null` is everything else. */
  series: CensusSeries[];
};

const NO_JOB = sql.raw(`'00000000-0000-0000-0000-000000000000'::uuid`);

/**
 * Everything the Storage page shows, in one statement: the org's live files are grouped by blob
 * once, and each blob is marked exclusive to a checkpoint (or a job series) when only that one
 * holds it — its first and last holder agree (compared as text: Postgres before 16 has no min()
 * of a uuid or of bytes). Only the top `limit` holders are joined back to their rows; when fewer
 * than `limit` hold anything exclusively, the list goes on with the largest of the rest (0 bytes).
 */
export async function storageCensus(db: Db, { orgId, limit, seriesLimit }: { orgId: string; limit: number; seriesLimit: number }): Promise<StorageCensus> {
  const [row] = rowsOf<{ census: StorageCensus | string }>(
    await db.execute(sql`
      with held as (
        select f.sha256, max(f.size) as size,
               min(f.checkpoint_id::text) as first_holder, max(f.checkpoint_id::text) as last_holder,
               min(coalesce(c.produced_by_job_id, ${NO_JOB})::text) as first_series,
               max(coalesce(c.produced_by_job_id, ${NO_JOB})::text) as last_series
          from checkpoint_files f join checkpoints c on c.id = f.checkpoint_id
         where c.org_id = ${orgId} and c.deleted_at is null
         group by f.sha256
      ), top_exclusive as (
        select first_holder::uuid as id, sum(size) as bytes
          from held where first_holder = last_holder
         group by first_holder order by sum(size) desc, first_holder limit ${limit}
      ), series_exclusive as (
        select first_series::uuid as job_id, sum(size) as bytes
          from held where first_series = last_series group by first_series
      ), series as (
        select coalesce(produced_by_job_id, ${NO_JOB}) as job_id, count(*)::int as checkpoints, sum(size) as logical
          from checkpoints where org_id = ${orgId} and deleted_at is null group by 1
      ), top as (
        select c.id, c.name, c.size, te.bytes as exclusive, c.created_at
          from top_exclusive te join checkpoints c on c.id = te.id
        union all
        (select c.id, c.name, c.size, 0, c.created_at from checkpoints c
          where c.org_id = ${orgId} and c.deleted_at is null and c.id not in (select id from top_exclusive)
          order by c.size desc, c.id limit ${limit})
      )
      select json_build_object(
        'storedBytes', (select coalesce(sum(size), 0) from held),
        'blobCount', (select count(*) from held),
        'logicalBytes', (select coalesce(sum(logical), 0) from series),
        'checkpointCount', (select coalesce(sum(checkpoints), 0) from series),
        'checkpoints', (select coalesce(json_agg(t), '[]'::json) from (
            select id, name, size as "logicalBytes", exclusive as "exclusiveBytes", created_at as "createdAt"
              from top order by exclusive desc, size desc, id limit ${limit}) t),
        'series', (select coalesce(json_agg(s), '[]'::json) from (
            select nullif(s.job_id, ${NO_JOB}) as "jobId", j.name as "jobName", s.checkpoints, s.logical as "logicalBytes",
                   coalesce(se.bytes, 0) as "exclusiveBytes"
              from series s
              left join jobs j on j.id = s.job_id
              left join series_exclusive se on se.job_id = s.job_id
             order by s.logical desc, (s.job_id = ${NO_JOB}), s.job_id
             limit ${seriesLimit}) s)
      ) as census`),
  );
  const raw = row?.census;
  const census = (typeof raw === "string" ? JSON.parse(raw) : raw) as StorageCensus;
  return {
    storedBytes: Number(census.storedBytes),
    blobCount: Number(census.blobCount),
    logicalBytes: Number(census.logicalBytes),
    checkpointCount: Number(census.checkpointCount),
    checkpoints: census.checkpoints.map((c) => ({
      ...c,
      logicalBytes: Number(c.logicalBytes),
      exclusiveBytes: Number(c.exclusiveBytes),
      createdAt: new Date(c.createdAt).toISOString(),
    })),
    series: census.series.map((s) => ({ ...s, checkpoints: Number(s.checkpoints), logicalBytes: Number(s.logicalBytes), exclusiveBytes: Number(s.exclusiveBytes) })),
  };
}

export type HeldBlob = { checkpointId: string; sha256: string; size: number; heldElsewhereInOrg: boolean };

/**
 * The distinct blobs of `checkpointIds`, each saying whether a live checkpoint of the org outside
 * that set also holds it. Deleting the whole set frees exactly the blobs held nowhere else.
 */
export async function blobsHeldBy(db: Db, { orgId, checkpointIds }: { orgId: string; checkpointIds: string[] }): Promise<HeldBlob[]> {
  if (checkpointIds.length === 0) return [];
  const ids = sql`${pgArray(checkpointIds)}::uuid[]`;
  const rows = rowsOf<{ checkpoint_id: string; sha256: string; size: string | number; elsewhere: boolean }>(
    await db.execute(sql`
      select d.checkpoint_id, d.sha256, d.size,
             exists (select 1 from checkpoint_files o join checkpoints oc on oc.id = o.checkpoint_id
                      where o.sha256 = d.sha256 and oc.org_id = ${orgId} and oc.deleted_at is null
                        and o.checkpoint_id <> all(${ids})) as elsewhere
        from (select distinct f.checkpoint_id, f.sha256, f.size from checkpoint_files f where f.checkpoint_id = any(${ids})) d`),
  );
  return rows.map((r) => ({ checkpointId: r.checkpoint_id, sha256: r.sha256, size: Number(r.size), heldElsewhereInOrg: r.elsewhere }));
}

/** Of these blobs, the ones no file row of any checkpoint (any org) references: the store may drop them. */
export async function unreferencedOf(db: Db, { sha256s }: { sha256s: string[] }): Promise<string[]> {
  if (sha256s.length === 0) return [];
  const list = sql`${pgArray(sha256s)}::text[]`;
  const rows = rowsOf<{ sha256: string }>(
    await db.execute(sql`
      select s.sha256 from unnest(${list}) as s(sha256)
       where not exists (select 1 from checkpoint_files f where f.sha256 = s.sha256)`),
  );
  return rows.map((r) => r.sha256);
}
