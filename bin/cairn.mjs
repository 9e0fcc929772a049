#!/usr/bin/env node
// The `cairn` CLI. Its TypeScript (lib/cli) runs through tsx (as `npm run worker` does), with the
// repository's tsconfig so the `@/` path alias resolves wherever the command is run from.
import { fileURLToPath } from "node:url";

process.env.TSX_TSCONFIG_PATH = fileURLToPath(new URL("../tsconfig.json", import.meta.url));
await import("tsx");
// package.json has no "type": "module", so the TypeScript loads as CommonJS: its exports may
// arrive on `default`.
const cli = await import("../lib/cli/main.ts");
await (cli.main ?? cli.default.main)(process.argv);
