import path from "node:path";
import { openDatabase } from "@/lib/db/client";
import { Api } from "./api";
import { fixed, percentile, timed, type Benchmark, type Row } from "./harness";

const CHECKPOINTS = 100_000;
const SAMPLES = 20;
const WARMUP = 3;
const DEEP_PAGES = 20;

/**
 * Fills one org with checkpoints straight in the embedded database. PGlite allows one process
 * at a time, so this runs while the server is stopped. Names are `<family>-<6 digits>`, with
 * ten families, so searches can hit many rows or one; sizes and ages are spread.
 */
async function seedCheckpoints(pgliteDir: string, { orgId, userId }: { orgId: string; userId: string }): Promise<void> {
  const database = await openDatabase({ url: null, pgliteDir });
  try {
    if (!database.pglite) throw new Error("expected the embedded database");
    await database.pglite.query(
      `insert into checkpoints
         (org_id, name, creator_user_id, visibility, source_type, source_uri, status,
          size, file_count, bytes_done, created_at, updated_at, ready_at)
       select $1::uuid,
              (array['llama','mistral','qwen','gemma','phi','falcon','bert','t5','gpt2','whisper'])[1 + g % 10]
                || '-' || lpad(g::text, 6, '0'),
              $2::uuid,
              case when g % 7 = 0 then 'public' else 'private' end,
              case when g % 3 = 0 then 's3' when g % 3 = 1 then 'local' else 'huggingface' end,
              case when g % 3 = 0 then 's3://bench/ckpt-' || g || '/' when g % 3 = 2 then 'org/model-' || g else null end,
              case when g % 50 = 0 then 'failed' else 'ready' end,
              (g::bigint * 2654435761) % 1000000007 * 100,
              1 + g % 8,
              0,
              now() - make_interval(secs => g * 30),
              now() - make_interval(secs => g * 30),
              now() - make_interval(secs => g * 30)
         from generate_series(1, $3::int) as g`,
      [orgId, userId, CHECKPOINTS],
    );
  } finally {
    await database.close();
  }
}

type Series = { label: string; path: string; auth: boolean };
type Timing = { p50: number; p95: number };

async function timeGet(api: Api, series: Series): Promise<number> {
  const { ms } = await timed(async () => {
    const response = series.auth ? await api.request("GET", series.path) : await fetch(`${api.baseUrl}${series.path}`);
    const body = await response.text();
    if (!response.ok) throw new Error(`GET ${series.path} failed: ${response.status} ${body.slice(0, 300)}`);
  });
  return ms;
}

function summarize(samples: number[]): Timing {
  return { p50: percentile(samples, 50), p95: percentile(samples, 95) };
}

/**
 * Times `series` and the baseline in alternation, so both see the same load from whatever
 * else runs on the machine, and the ratio between them stays meaningful on a busy box.
 */
async function measure(api: Api, series: Series, baseline: Series): Promise<{ timing: Timing; base: Timing }> {
  const samples: number[] = [];
  const baseSamples: number[] = [];
  for (let i = 0; i < WARMUP + SAMPLES; i++) {
    const base = await timeGet(api, baseline);
    const ms = await timeGet(api, series);
    if (i < WARMUP) continue;
    baseSamples.push(base);
    samples.push(ms);
  }
  return { timing: summarize(samples), base: summarize(baseSamples) };
}

type Page = { items: { name: string }[]; nextCursor: string | null; total: number };

/** The cursor of page `DEEP_PAGES + 1`, reached by following `nextCursor` like a client would. */
async function deepCursor(api: Api): Promise<{ cursor: string; total: number }> {
  let cursor: string | null = null;
  let total = 0;
  for (let page = 0; page < DEEP_PAGES; page++) {
    const query: string = cursor ? `?cursor=${encodeURIComponent(cursor)}` : "";
    const result: Page = await api.json<Page>("GET", `/api/v1/checkpoints${query}`);
    total = result.total;
    if (!result.nextCursor) throw new Error(`the list ended after ${page + 1} pages`);
    cursor = result.nextCursor;
  }
  return { cursor: cursor as string, total };
}

export const listBenchmark: Benchmark = {
  name: "list",
  summary: `GET /api/v1/checkpoints with ${CHECKPOINTS.toLocaleString("en")} checkpoints in one org, against GET /api/health`,
  async run(ctx) {
    const dataDir = path.join(ctx.workDir, "data");
    const first = await ctx.startServer(dataDir);
    let account: Awaited<ReturnType<typeof Api.signUp>>;
    try {
      account = await Api.signUp(first.url);
    } finally {
      await first.stop();
    }

    ctx.log(`seeding ${CHECKPOINTS} checkpoints…`);
    const seeding = await timed(() => seedCheckpoints(path.join(dataDir, "db"), account));
    ctx.log(`seeded in ${fixed(seeding.ms / 1000)} s`);

    const server = await ctx.startServer(dataDir);
    try {
      const api = account.api.withBaseUrl(server.url);
      const deep = await deepCursor(api);
      if (deep.total !== CHECKPOINTS) throw new Error(`the list reports ${deep.total} checkpoints, expected ${CHECKPOINTS}`);

      const list = "/api/v1/checkpoints";
      const baseline: Series = { label: "GET /api/health (baseline)", path: "/api/health", auth: false };
      const series: Series[] = [
        { label: "GET /api/v1/tokens (token auth only)", path: "/api/v1/tokens", auth: true },
        { label: "GET /api/v1/me (sums org usage)", path: "/api/v1/me", auth: true },
        { label: "first page", path: list, auth: true },
        { label: `page ${DEEP_PAGES + 1} (cursor)`, path: `${list}?cursor=${encodeURIComponent(deep.cursor)}`, auth: true },
        { label: "search q=mistral (10% match)", path: `${list}?q=mistral`, auth: true },
        { label: "search q=qwen-09999 (1 match)", path: `${list}?q=qwen-09999`, auth: true },
        { label: "filter status=failed", path: `${list}?status=failed`, auth: true },
        ...["name", "-name", "size", "-size", "createdAt", "-createdAt"].map((sort) => ({
          label: `sort=${sort}`,
          path: `${list}?sort=${encodeURIComponent(sort)}`,
          auth: true,
        })),
      ];

      const rows: Row[] = [];
      const allBase: number[] = [];
      for (const entry of series) {
        const { timing, base } = await measure(api, entry, baseline);
        allBase.push(base.p50);
        rows.push({
          benchmark: `list/${entry.label}`,
          metric: "p50 / p95 ms",
          value: `${fixed(timing.p50)} / ${fixed(timing.p95)}`,
          baseline: `health p50 ${fixed(base.p50)}`,
          ratio: timing.p50 / base.p50,
        });
      }
      rows.unshift({ benchmark: "list/health", metric: "p50 range ms", value: `${fixed(Math.min(...allBase))} – ${fixed(Math.max(...allBase))}` });
      return {
        rows,
        notes: [
          `${SAMPLES} sequential requests per row after ${WARMUP} warm-up ones, each alternating with a GET /api/health; ratio = p50 / that health p50; seeding took ${fixed(seeding.ms / 1000)} s`,
          "the seeded table was not ANALYZEd, like an embedded database that only ever saw inserts",
        ],
      };
    } finally {
      await server.stop();
    }
  },
};
