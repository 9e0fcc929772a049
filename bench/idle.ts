import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Api } from "./api";
import { fixed, MB, type Benchmark } from "./harness";

const TARGET_MB = 300;
/** How long the server sits after its first pages before it is measured. */
const SETTLE_MS = 20_000;

/** PGlite alone on the server's data directory, in a process of its own: its share of the RSS. */
function pgliteAloneMb(root: string, dataDir: string): number | null {
  const probe = path.join(dataDir, "..", "pglite-probe.mjs");
  writeFileSync(
    probe,
    `import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
const db = new PGlite({ dataDir: ${JSON.stringify(path.join(dataDir, "db"))}, extensions: { pg_trgm } });
await db.query("select count(*) from checkpoints");
await new Promise((resolve) => setTimeout(resolve, 2000));
console.log(process.memoryUsage().rss);
await db.close();`,
  );
  const run = spawnSync(process.execPath, [probe], { cwd: root, encoding: "utf8", env: { ...process.env, NODE_PATH: path.join(root, "node_modules") } });
  const rss = Number(run.stdout.trim().split("\n").pop());
  return run.status === 0 && Number.isFinite(rss) ? rss / MB : null;
}

export const idleBenchmark: Benchmark = {
  name: "idle",
  summary: `the server's RSS on the embedded defaults, ${SETTLE_MS / 1000} s after its first pages and API calls`,
  async run(ctx) {
    const dataDir = path.join(ctx.workDir, "data");
    const server = await ctx.startServer(dataDir);
    let idleMb: number;
    try {
      const { api } = await Api.signUp(server.url);
      // What a first visit does: the dashboard's page and its API calls.
      await api.createLocalCheckpoint("bench-idle");
      for (const url of ["/checkpoints", "/api/v1/checkpoints", "/api/v1/me", "/storage"]) {
        await fetch(`${server.url}${url}`, { headers: { authorization: api.authHeader } }).then((r) => r.arrayBuffer());
      }
      await sleep(SETTLE_MS);
      idleMb = server.rss() / MB;
    } finally {
      await server.stop();
    }
    const pglite = pgliteAloneMb(ctx.root, dataDir);
    return {
      rows: [{ benchmark: "idle", metric: "server RSS, idle", value: `${fixed(idleMb, 0)} MB`, baseline: pglite === null ? undefined : `PGlite alone ${fixed(pglite, 0)} MB`, target: `< ${TARGET_MB} MB`, pass: idleMb < TARGET_MB }],
      notes: [
        "RSS of the server process tree; PGlite alone is a separate Node process opening the same database after the server stopped (Node's own baseline is ~45 MB of it)",
      ],
    };
  },
};
