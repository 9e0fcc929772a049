import "server-only";

/**
 * Results of the org-wide storage queries, remembered per key beside the version they were
 * computed at (lib/db/queries/storage.ts `storageVersion`, which says why it moves with every
 * change they count). The version is read before the computation, so a remembered value is never
 * older than its version. Entries also expire after `TTL_MS`, a backstop should a write path ever
 * break the version's rules.
 */
type Entry = { version: string; at: number; value: unknown };

const TTL_MS = 5 * 60 * 1000;
const MAX_ENTRIES = 500;

// On globalThis beside the app's other process-wide state: route bundles and hot reloads share it.
const globalForMemo = globalThis as unknown as { cairnUsageMemo?: Map<string, Entry> };
const entries = (globalForMemo.cairnUsageMemo ??= new Map<string, Entry>());

/**
 * `compute()`'s value for `key` at `version`, computed at most once per version. `reuse` says
 * whether a remembered value may be handed out again at all (small orgs are cheap to recount).
 */
export async function memoized<T>(key: string, version: string, compute: () => Promise<T>, reuse: (value: T) => boolean = () => true): Promise<T> {
  const hit = entries.get(key);
  if (hit && hit.version === version && Date.now() - hit.at < TTL_MS && reuse(hit.value as T)) return hit.value as T;
  const value = await compute();
  entries.delete(key);
  entries.set(key, { version, at: Date.now(), value });
  // A Map iterates in insertion order: the first key is the one used least recently.
  if (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
  return value;
}
