import { spawnSync } from "node:child_process";
import path from "node:path";
import { fixed, percentile, runCommand, type Benchmark } from "./harness";

const RUNS = 20;
const WARMUP = 3;

/** Wall-clock milliseconds of one run of `node …args` to its exit; throws if it fails. */
function timeNode(args: string[], cwd: string): number {
  const started = performance.now();
  const run = spawnSync(process.execPath, args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
  const ms = performance.now() - started;
  if (run.status !== 0) throw new Error(`node ${args.join(" ")} exited with ${run.status}: ${run.stderr.toString().slice(-500)}`);
  return ms;
}

export const cliBenchmark: Benchmark = {
  name: "cli",
  summary: `\`cairn --help\` start-up, bundled and (for reference) through tsx, against \`node -e 0\`: medians of ${RUNS} alternating runs`,
  async run(ctx) {
    // The bundle as `npm install` leaves it; bin/cairn.mjs would also rebuild a stale one, once.
    await runCommand(process.execPath, [path.join(ctx.root, "scripts", "build-cli.mjs")], { cwd: ctx.root });
    const series = {
      node: ["-e", "0"],
      bundled: [path.join(ctx.root, "bin", "cairn.mjs"), "--help"],
      // What bin/cairn.mjs did before the bundle: lib/cli compiled by tsx on every start.
      tsx: [
        "-e",
        `process.env.TSX_TSCONFIG_PATH = ${JSON.stringify(path.join(ctx.root, "tsconfig.json"))};` +
          `require("tsx/cjs/api").register(); require("./lib/cli/main.ts").main(["node", "cairn", "--help"]);`,
      ],
    };
    const samples: Record<keyof typeof series, number[]> = { node: [], bundled: [], tsx: [] };
    // Alternating, so all three see the same load from whatever else runs on the machine.
    for (let i = 0; i < WARMUP + RUNS; i++) {
      for (const [name, args] of Object.entries(series) as [keyof typeof series, string[]][]) {
        const ms = timeNode(args, ctx.root);
        if (i >= WARMUP) samples[name].push(ms);
      }
    }
    const node = percentile(samples.node, 50);
    const bundled = percentile(samples.bundled, 50);
    const tsx = percentile(samples.tsx, 50);
    return {
      rows: [
        { benchmark: "cli start", metric: "cairn --help median ms", value: fixed(bundled), baseline: `node -e 0 ${fixed(node)}`, ratio: bundled / node, target: "< 100 ms", pass: bundled < 100 },
        { benchmark: "cli start (tsx, unbundled)", metric: "cairn --help median ms", value: fixed(tsx), baseline: `node -e 0 ${fixed(node)}`, ratio: tsx / node },
      ],
      notes: [
        `${RUNS} runs of each after ${WARMUP} warm-up ones, alternating; the bundle starts ${fixed(bundled - node)} ms after what Node itself needs (${fixed(node)} ms here), tsx ${fixed(tsx - node)} ms`,
      ],
    };
  },
};
