import nextVitals from "eslint-config-next/core-web-vitals";
import nextTs from "eslint-config-next/typescript";

const serverOnly = (what) => `${what} is server code; take enums from lib/*/kinds.ts and types from lib/api/schemas/* instead.`;

/**
 * Server modules, by folder, with the pure files inside them that browser and CLI code may use
 * (as regular expressions: gitignore-style "!" entries cannot re-include files below a folder).
 */
const serverModules = [
  { regex: "^@/lib/db(/|$)", message: serverOnly("lib/db (the Drizzle schema included)") },
  { regex: "^@/lib/storage(/(?!(layout|positional-file|prefix-hasher|batched-write)$)|$)", message: serverOnly("The blob store (but its pure helpers)") },
  { regex: "^@/lib/queue(/|$)", message: serverOnly("The queue") },
  {
    regex: "^@/lib/sources(/(?!(specs|source-spec|types|ranged-stream|[a-z0-9-]+/spec)$)|$)",
    message: serverOnly("A source adapter (spec.ts files, specs.ts and types.ts are browser-safe)"),
  },
  { regex: "^@/lib/jobs(/(?!kinds$)|$)", message: serverOnly("lib/jobs (but kinds.ts)") },
  { regex: "^@/lib/checkpoints/(?!(kinds|naming|source-types|path-globs|derive-rule)$)", message: serverOnly("This checkpoint module (kinds, naming, source-types, path-globs and derive-rule are shared)") },
  { regex: "^@/lib/(connections|ingest|export)(/|$)|^@/lib/maintenance$", message: serverOnly("This service") },
];

const config = [
  ...nextVitals,
  ...nextTs,
  {
    // .next-*: the build directories of dev servers started with CAIRN_NEXT_DIST_DIR.
    ignores: [".next/**", ".next-*/**", "node_modules/**", ".data/**", ".test-data/**", "test-results/**", "playwright-report/**", "next-env.d.ts"],
  },
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // The browser (components, hooks, queries) and the programs that run on other machines (the
    // CLI, the job agent) stay off server modules: enums come from lib/*/kinds.ts, shapes from
    // lib/api/schemas. The few pure helpers those folders hold are let through by name.
    files: ["components/**", "lib/hooks/**", "lib/query/**", "lib/cli/**", "lib/agent/**"],
    rules: {
      "no-restricted-imports": ["error", { patterns: serverModules }],
    },
  },
];

export default config;
