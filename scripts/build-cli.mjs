#!/usr/bin/env node
// Bundles the `cairn` CLI — lib/cli, what it imports from lib/ (the `@/` alias resolved from
// tsconfig.json) and its npm packages — into one CommonJS file with esbuild, so `cairn` starts
// without compiling TypeScript (bin/cli-bundle.mjs says where it goes and how it is run).
// npm packages are bundled too: one file compiles (and code-caches) faster than a tree of them.
//
// `node scripts/build-cli.mjs [--force] [--optional]`: runs on `npm install` and `npm ci` (the
// "prepare" script) and as `npm run build:cli`; does nothing while the bundle is fresh, unless
// --force. With --optional (prepare) a bundle that cannot be built — esbuild not installed (an
// install without devDependencies), sources that do not build — is reported and the install
// goes on: bin/cairn.mjs then runs the TypeScript through tsx.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { bundleFile, distDir, freshBundle, manifestFile, root } from "../bin/cli-bundle.mjs";

/** Files besides the bundle's sources that decide what it holds. */
const BUILD_INPUTS = ["scripts/build-cli.mjs", "bin/cli-bundle.mjs", "tsconfig.json"];

/** An esbuild input as the file the manifest watches: the file itself, or its npm package's package.json. */
function watchedFile(input) {
  const at = input.lastIndexOf("node_modules/");
  if (at < 0) return input;
  const parts = input.slice(at + "node_modules/".length).split("/");
  const name = parts[0]?.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
  return `${input.slice(0, at)}node_modules/${name}/package.json`;
}

/** Writes `data` to `file` whole or not at all: concurrent builds and readers never see half a file. */
function writeAtomically(file, data) {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, data);
  renameSync(temp, file);
}

/**
 * Builds the bundle and its manifest, and removes code caches of earlier bundles.
 * Throws when esbuild is missing or the sources do not build. `quiet` keeps esbuild's warnings
 * off stderr (a rebuild started by `cairn` itself).
 */
export async function buildCli({ quiet = false } = {}) {
  const esbuild = createRequire(path.join(root, "package.json"))("esbuild");
  const startedAt = Date.now();
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: ["lib/cli/main.ts"],
    outfile: bundleFile,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: `node${process.versions.node.split(".")[0]}`,
    tsconfig: "tsconfig.json",
    metafile: true,
    minifyWhitespace: true,
    minifySyntax: true,
    write: false,
    logLevel: quiet ? "silent" : "warning",
  });
  const bundle = result.outputFiles.find((file) => file.path === bundleFile);
  if (!bundle) throw new Error("esbuild produced no bundle");
  const inputs = {};
  for (const file of new Set([...Object.keys(result.metafile.inputs).map(watchedFile), ...BUILD_INPUTS])) {
    const stat = statSync(path.join(root, file));
    // A file changed while esbuild read it may be in the bundle either way: count it as changed.
    inputs[file] = [stat.size, stat.mtimeMs > startedAt ? -1 : stat.mtimeMs];
  }
  const hash = createHash("sha256").update(bundle.contents).digest("hex").slice(0, 16);
  mkdirSync(distDir, { recursive: true });
  writeAtomically(bundleFile, bundle.contents);
  writeAtomically(manifestFile, `${JSON.stringify({ hash, bundleSize: bundle.contents.length, inputs }, null, 1)}\n`);
  for (const name of readdirSync(distDir)) {
    if (name.endsWith(".v8cache") && name !== `cairn.${hash}.v8cache`) rmSync(path.join(distDir, name), { force: true });
  }
  return { hash, bytes: bundle.contents.length, inputs: Object.keys(inputs).length, ms: Date.now() - startedAt };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const flags = new Set(process.argv.slice(2));
  if (!flags.has("--force") && freshBundle()) {
    console.log(`build-cli: ${path.relative(root, bundleFile)} is up to date.`);
  } else {
    try {
      const built = await buildCli();
      console.log(`build-cli: wrote ${path.relative(root, bundleFile)} (${(built.bytes / 1024).toFixed(0)} KiB from ${built.inputs} inputs) in ${built.ms} ms.`);
    } catch (error) {
      const why =
        error?.code === "MODULE_NOT_FOUND"
          ? "esbuild is not installed (an install without devDependencies); run `npm install`, then `npm run build:cli`"
          : `the build failed (${error?.errors ? "esbuild's errors are above" : String(error)}); fix it, then run \`npm run build:cli\``;
      if (!flags.has("--optional")) {
        console.error(`build-cli: ${why}.`);
        process.exit(1);
      }
      console.log(`build-cli: no bundle: ${why}. Until then \`cairn\` runs its TypeScript through tsx, more slowly.`);
    }
  }
}
