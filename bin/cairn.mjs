#!/usr/bin/env node
// The `cairn` CLI. Its TypeScript (lib/cli) runs through tsx (as `npm run worker` does), with the
// repository's tsconfig so the `@/` path alias resolves wherever the command is run from.
// package.json has no "type": "module", so lib/cli loads as CommonJS: tsx's in-thread require
// hook is enough, and it starts far faster than Node 20's off-thread ESM loader hooks.
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

process.env.TSX_TSCONFIG_PATH = fileURLToPath(new URL("../tsconfig.json", import.meta.url));
const require = createRequire(import.meta.url);
require("tsx/cjs/api").register();
const { main } = require("../lib/cli/main.ts");
await main(process.argv);
