#!/usr/bin/env node
// The `cairn` CLI. Runs the esbuild bundle of lib/cli (scripts/build-cli.mjs builds it,
// bin/cli-bundle.mjs finds and loads it) when it was built from the sources as they are now;
// rebuilds it first when they changed and esbuild is installed; else runs the TypeScript through
// tsx, so a checkout without a build (or without devDependencies) still works.
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { freshBundle, loadBundle } from "./cli-bundle.mjs";

/** The bundle, rebuilt from the changed sources; null when it cannot be (tsx will say what is wrong). */
async function rebuilt() {
  try {
    const { buildCli } = await import("../scripts/build-cli.mjs");
    await buildCli({ quiet: true });
    return freshBundle();
  } catch {
    return null;
  }
}

/** lib/cli through tsx, with the repository's tsconfig so the `@/` alias resolves wherever `cairn` runs from. */
function fromSources() {
  // package.json has no "type": "module", so lib/cli loads as CommonJS: tsx's in-thread require
  // hook is enough, and it starts far faster than Node 20's off-thread ESM loader hooks.
  process.env.TSX_TSCONFIG_PATH = fileURLToPath(new URL("../tsconfig.json", import.meta.url));
  const require = createRequire(import.meta.url);
  require("tsx/cjs/api").register();
  return require("../lib/cli/main.ts");
}

const bundle = freshBundle() ?? (await rebuilt());
const { main } = bundle ? loadBundle(bundle) : fromSources();
await main(process.argv);
