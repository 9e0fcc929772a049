import dns from "node:dns";
import net from "node:net";
import ipaddr from "ipaddr.js";

/**
 * The server fetches user-given locations, so it must not be talked into reaching itself, the
 * private network or a cloud metadata service. Every outbound connection made for a source or an
 * export is judged here on the address actually dialled; `CAIRN_ALLOW_PRIVATE_SOURCES` (CIDRs,
 * comma-separated) lets an administrator open specific ranges, e.g. an on-prem MinIO.
 */

export const ALLOW_ENV = "CAIRN_ALLOW_PRIVATE_SOURCES";

const PUBLIC_RANGES = new Set(["unicast"]);

export class BlockedAddressError extends Error {
  readonly code = "EBLOCKEDADDRESS";
  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    super(
      `Refusing to connect to ${host}${host === address ? "" : ` (${address})`}: it is a loopback, private, link-local or metadata address. ` +
        `An administrator can allow it by adding its range to ${ALLOW_ENV} (for example ${ALLOW_ENV}=${address}/32).`,
    );
    this.name = "BlockedAddressError";
  }
}

/** The administrator's allowed ranges; a malformed entry is skipped with a warning, never a crash. */
function allowList(): [ipaddr.IPv4 | ipaddr.IPv6, number][] {
  const raw = process.env[ALLOW_ENV] ?? "";
  const ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];
  for (const entry of raw.split(",").map((s) => s.trim()).filter(Boolean)) {
    try {
      if (entry.includes("/")) ranges.push(ipaddr.parseCIDR(entry));
      else {
        const ip = ipaddr.parse(entry);
        ranges.push([ip, ip.kind() === "ipv4" ? 32 : 128]);
      }
    } catch {
      console.warn(`${ALLOW_ENV}: ignoring '${entry}', which is not an IP address or CIDR range`);
    }
  }
  return ranges;
}

const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR("2000::/3");

/** True when the server may dial this IP address. */
export function isAllowedAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let ip = ipaddr.parse(address);
  if (ip.kind() === "ipv6" && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  for (const [range, bits] of allowList()) {
    if (range.kind() === ip.kind() && ip.match(range, bits)) return true;
  }
  if (ip.kind() === "ipv6" && !ip.match(GLOBAL_UNICAST_V6)) return false;
  return PUBLIC_RANGES.has(ip.range());
}

export function assertAllowedAddress(host: string, address: string): void {
  if (!isAllowedAddress(address)) throw new BlockedAddressError(host, address);
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/**
 * A drop-in for `dns.lookup` (the `lookup` option of net, http, https and most SDK agents) that
 * fails when any resolved address is not allowed — the check happens on the addresses the socket
 * will actually use, so DNS rebinding between a check and the connect cannot slip through.
 */
export function guardedLookup(hostname: string, options: dns.LookupOptions | number | LookupCallback, callback?: LookupCallback): void {
  const cb = (typeof options === "function" ? options : callback) as LookupCallback;
  const opts: dns.LookupOptions = typeof options === "object" ? options : typeof options === "number" ? { family: options } : {};
  dns.lookup(hostname, { ...opts, all: true }, (error, addresses) => {
    if (error) return cb(error, "");
    const list = addresses as dns.LookupAddress[];
    const blocked = list.find((a) => !isAllowedAddress(a.address));
    if (blocked) return cb(new BlockedAddressError(hostname, blocked.address) as unknown as NodeJS.ErrnoException, "");
    if (opts.all) return cb(null, list);
    const first = list[0];
    if (!first) return cb(Object.assign(new Error(`No address found for ${hostname}`), { code: "ENOTFOUND" }), "");
    cb(null, first.address, first.family);
  });
}

/**
 * Checks a host given as an IP literal (which skips `lookup` entirely) before connecting. Call it
 * from every `createConnection`/`connect` that takes user-influenced hosts.
 */
export function assertLiteralHostAllowed(host: string | undefined): void {
  if (!host) return;
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (net.isIP(bare)) assertAllowedAddress(bare, bare);
}

/** Resolves a host and checks every address; returns the first, for tools that need a pinned IP (git, FTP). */
export async function resolveAllowed(host: string): Promise<string> {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (net.isIP(bare)) {
    assertAllowedAddress(bare, bare);
    return bare;
  }
  const addresses = await dns.promises.lookup(bare, { all: true });
  for (const a of addresses) assertAllowedAddress(bare, a.address);
  const first = addresses[0];
  if (!first) throw Object.assign(new Error(`No address found for ${bare}`), { code: "ENOTFOUND" });
  return first.address;
}
