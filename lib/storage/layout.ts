/**
 * Where the filesystem store keeps a blob below its root: `<aa>/<bb>/<sha256>`. Shared with the
 * job agent, which links inputs straight from a store it can see (same machine or a shared mount).
 */
export function blobRelativePath(sha256: string): string {
  return `${sha256.slice(0, 2)}/${sha256.slice(2, 4)}/${sha256}`;
}
