// Where the bundled CLI lives and how it is run; shared by bin/cairn.mjs (which runs it) and
// scripts/build-cli.mjs (which builds it). The bundle is node_modules/.cache/cairn-cli/cairn.cjs
// — a build product, where git, tsc and `eslint .` do not look and `npm ci` starts afresh;
// beside it, cairn.inputs.json names every file it was built from with the size and mtime each
// had, so telling whether it is fresh takes one stat per file (no reading, no hashing).
import { readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import Module, { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

/** The repository, ending in a separator. */
export const root = fileURLToPath(new URL("..", import.meta.url));
export const distDir = path.join(root, "node_modules", ".cache", "cairn-cli");
export const bundleFile = path.join(distDir, "cairn.cjs");
export const manifestFile = path.join(distDir, "cairn.inputs.json");

/**
 * The manifest scripts/build-cli.mjs writes: `hash` (of the bundle's bytes) names its V8 code
 * cache; `bundleSize`; `inputs` maps each file the bundle was built from (relative to the
 * repository; for npm packages, their package.json) to `[size, mtimeMs]`, mtime -1 for a file
 * that changed while the bundle was built.
 * @typedef {{ hash: string, bundleSize: number, inputs: Record<string, [number, number]> }} BundleManifest
 */

/** The manifest when the bundle is there and none of its inputs changed since it was built, else null. */
export function freshBundle() {
  try {
    /** @type {BundleManifest} */
    const manifest = JSON.parse(readFileSync(manifestFile, "utf8"));
    if (statSync(bundleFile).size !== manifest.bundleSize) return null;
    for (const [file, [size, mtimeMs]] of Object.entries(manifest.inputs)) {
      const stat = statSync(root + file, { throwIfNoEntry: false });
      if (!stat || stat.size !== size || stat.mtimeMs !== mtimeMs) return null;
    }
    return manifest;
  } catch {
    return null;
  }
}

/** The V8 code cache of the bundle with this hash (a cache only matches the bytes it was made from). */
export const codeCacheFile = (hash) => path.join(distDir, `cairn.${hash}.v8cache`);

/**
 * Loads the bundle as CommonJS, through V8's code cache: most of a bare start is V8 compiling
 * the bundle's functions, which the cache skips. A missing or rejected cache is written when the
 * process exits (then holding every function this run compiled); a cache that cannot be written
 * (a read-only install) is only slower.
 * @param {BundleManifest} manifest
 */
export function loadBundle(manifest) {
  const cacheFile = codeCacheFile(manifest.hash);
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(Module.wrap(readFileSync(bundleFile, "utf8")), {
    filename: bundleFile,
    cachedData,
    importModuleDynamically: vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (!cachedData || script.cachedDataRejected) {
    process.once("exit", () => {
      try {
        const temp = `${cacheFile}.${process.pid}.tmp`;
        writeFileSync(temp, script.createCachedData());
        renameSync(temp, cacheFile);
      } catch {
        // Only the next start's speed depends on it.
      }
    });
  }
  const mod = new Module(bundleFile);
  mod.filename = bundleFile;
  script.runInThisContext().call(mod.exports, mod.exports, createRequire(bundleFile), mod, bundleFile, distDir);
  mod.loaded = true;
  return mod.exports;
}
