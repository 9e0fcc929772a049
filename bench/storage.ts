import path from "node:path";
import { openDatabase } from "@/lib/db/client";
import { emptyFacts } from "@/lib/model-facts/kinds";
import { Api } from "./api";
import { fixed, percentile, timed, type Benchmark, type Row } from "./harness";

const CHECKPOINTS = 100_000;
const SERIES = 100;
const SAMPLES = 20;
const WARMUP = 3;
const AFTER_CHANGE_SAMPLES = 8;
const TARGET_P95_MS = 100;

/**
 * Fills one org with checkpoints and their files straight in the embedded database (PGlite allows
 * one process at a time, so the server is stopped). Each checkpoint holds its own weights, the
 * config of its job series (100 jobs of 900 checkpoints; a tenth come from no job) and the one
 * tokenizer all of them share: 300,000 file rows over about 100,100 distinct blobs.
 */
async function seed(pgliteDir: string, { orgId, userId }: { orgId: string; userId: string }): Promise<void> {
  const database = await openDatabase({ url: null, pgliteDir });
  try {
    const pglite = database.pglite;
    if (!pglite) throw new Error("expected the embedded database");
    await pglite.query(
      `insert into jobs (org_id, name, type, status, command, env_ciphertext, creator_user_id, created_at, finished_at)
       select $1::uuid, 'train-' || lpad(g::text, 3, '0'), 'training', 'succeeded', '[]'::jsonb, '', $2::uuid, now(), now()
         from generate_series(1, $3::int) as g`,
      [orgId, userId, SERIES],
    );
    await pglite.query(
      `insert into checkpoints (org_id, name, creator_user_id, source_type, status, produced_by_job_id, model, created_at, updated_at, ready_at)
       select $1::uuid, 'ckpt-' || lpad(g::text, 6, '0'), $2::uuid, case when g % 10 = 0 then 'local' else 'job' end, 'ready',
              case when g % 10 = 0 then null else (select id from jobs where org_id = $1::uuid and name = 'train-' || lpad((1 + g % $4::int)::text, 3, '0')) end,
              $5::jsonb, now() - make_interval(secs => g * 30), now(), now()
         from generate_series(1, $3::int) as g`,
      // Facts already read, as in an org that has settled: no background task rewrites the rows meanwhile.
      [orgId, userId, CHECKPOINTS, SERIES, JSON.stringify(emptyFacts())],
    );
    await pglite.query(
      `insert into checkpoint_files (checkpoint_id, path, size, sha256)
       select c.id, f.path,
              case f.path when 'model.safetensors' then 100000000 + (hashtext(c.id::text) & 1048575) when 'config.json' then 2000 else 4000000 end,
              case f.path when 'model.safetensors' then md5(c.id::text) || md5(c.name)
                          when 'config.json' then md5(coalesce(c.produced_by_job_id::text, 'none')) || md5('config')
                          else md5('tokenizer') || md5('tokenizer') end
         from checkpoints c cross join (values ('model.safetensors'), ('config.json'), ('tokenizer.json')) as f(path)
        where c.org_id = $1::uuid`,
      [orgId],
    );
    await pglite.query(
      `update checkpoints c set size = s.size, file_count = s.n
         from (select checkpoint_id, sum(size) as size, count(*)::int as n from checkpoint_files group by checkpoint_id) s
        where s.checkpoint_id = c.id`,
    );
    await pglite.query(`insert into blobs (sha256, size) select distinct on (sha256) sha256, size from checkpoint_files on conflict do nothing`);
  } finally {
    await database.close();
  }
}

type Timing = { p50: number; p95: number };
const summarize = (samples: number[]): Timing => ({ p50: percentile(samples, 50), p95: percentile(samples, 95) });

async function timeGet(api: Api, pathAndQuery: string, auth = true): Promise<number> {
  const { ms } = await timed(async () => {
    const response = auth ? await api.request("GET", pathAndQuery) : await fetch(`${api.baseUrl}${pathAndQuery}`);
    const body = await response.text();
    if (!response.ok) throw new Error(`GET ${pathAndQuery} failed: ${response.status} ${body.slice(0, 300)}`);
  });
  return ms;
}

/** Times `pathAndQuery` and GET /api/health in alternation, so both see the same load. */
async function measure(api: Api, pathAndQuery: string): Promise<{ timing: Timing; base: Timing }> {
  const samples: number[] = [];
  const base: number[] = [];
  for (let i = 0; i < WARMUP + SAMPLES; i++) {
    const health = await timeGet(api, "/api/health", false);
    const ms = await timeGet(api, pathAndQuery);
    if (i < WARMUP) continue;
    base.push(health);
    samples.push(ms);
  }
  return { timing: summarize(samples), base: summarize(base) };
}

export const storageBenchmark: Benchmark = {
  name: "storage",
  summary: `GET /api/v1/storage (unique bytes, exclusive bytes, job series) with ${CHECKPOINTS.toLocaleString("en")} checkpoints in one org, against GET /api/health`,
  async run(ctx) {
    const dataDir = path.join(ctx.workDir, "data");
    const first = await ctx.startServer(dataDir);
    let account: Awaited<ReturnType<typeof Api.signUp>>;
    try {
      account = await Api.signUp(first.url);
    } finally {
      await first.stop();
    }
    ctx.log(`seeding ${CHECKPOINTS} checkpoints with 3 files each…`);
    const seeding = await timed(() => seed(path.join(dataDir, "db"), account));
    ctx.log(`seeded in ${fixed(seeding.ms / 1000)} s`);

    const server = await ctx.startServer(dataDir);
    try {
      const api = account.api.withBaseUrl(server.url);
      const overview = await api.json<{ checkpointCount: number; usedBytes: number; logicalBytes: number; series: unknown[] }>("GET", "/api/v1/storage");
      if (overview.checkpointCount !== CHECKPOINTS) throw new Error(`GET /storage counts ${overview.checkpointCount} checkpoints, expected ${CHECKPOINTS}`);

      const storage = await measure(api, "/api/v1/storage");
      const me = await measure(api, "/api/v1/me");

      // A change to what the figures count (here a new checkpoint) moves the version: the next GET recomputes.
      const afterChange: number[] = [];
      for (let i = 0; i < AFTER_CHANGE_SAMPLES; i++) {
        await api.createLocalCheckpoint(`bench-change-${i}`);
        afterChange.push(await timeGet(api, "/api/v1/storage"));
      }
      const changed = summarize(afterChange);

      const rows: Row[] = [
        {
          benchmark: "storage/GET /api/v1/storage",
          metric: "p50 / p95 ms",
          value: `${fixed(storage.timing.p50)} / ${fixed(storage.timing.p95)}`,
          baseline: `health p50 ${fixed(storage.base.p50)}`,
          ratio: storage.timing.p50 / storage.base.p50,
          target: `p95 < ${TARGET_P95_MS} ms`,
          pass: storage.timing.p95 < TARGET_P95_MS,
        },
        {
          benchmark: "storage/GET /api/v1/me (unique-byte usage)",
          metric: "p50 / p95 ms",
          value: `${fixed(me.timing.p50)} / ${fixed(me.timing.p95)}`,
          baseline: `health p50 ${fixed(me.base.p50)}`,
          ratio: me.timing.p50 / me.base.p50,
        },
        {
          benchmark: "storage/GET /api/v1/storage right after a change",
          metric: "p50 / p95 ms",
          value: `${fixed(changed.p50)} / ${fixed(changed.p95)}`,
        },
      ];
      return {
        rows,
        notes: [
          `${CHECKPOINTS.toLocaleString("en")} checkpoints, ${(3 * CHECKPOINTS).toLocaleString("en")} file rows, ${SERIES} job series; ${fixed(overview.usedBytes / 1e12, 2)} TB unique of ${fixed(overview.logicalBytes / 1e12, 2)} TB logical; seeding took ${fixed(seeding.ms / 1000)} s`,
          `${SAMPLES} sequential requests per row after ${WARMUP} warm-up ones, each alternating with a GET /api/health; "right after a change": ${AFTER_CHANGE_SAMPLES} GETs each after a new checkpoint was created, which makes the census run again`,
          `GET /storage answers from a memo keyed on a version of the org's rows read with three index probes (lib/usage/memo.ts); a miss runs the census, one statement over all 300,000 file rows`,
        ],
      };
    } finally {
      await server.stop();
    }
  },
};
