import dns from "node:dns";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { guardedAgents } from "@/lib/net/agents";
import { ALLOW_ENV, BlockedAddressError, guardedLookup, isAllowedAddress, resolveAllowed } from "@/lib/net/guard";
import { httpGetStream } from "@/lib/sources/web/http-fetch";
import { PermanentSourceError } from "@/lib/sources/types";

const originalAllow = process.env[ALLOW_ENV];
let server: http.Server;
let port: number;
let connections = 0;

beforeAll(async () => {
  // Dual-stack on every interface, so a request that slipped past the guard would be counted.
  server = http.createServer((_req, res) => res.end("reached"));
  server.on("connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "::", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  guardedAgents().http.destroy();
  await new Promise((resolve) => server.close(resolve));
  restoreAllowList();
});

afterEach(() => {
  vi.restoreAllMocks();
  restoreAllowList();
});

function restoreAllowList() {
  if (originalAllow === undefined) delete process.env[ALLOW_ENV];
  else process.env[ALLOW_ENV] = originalAllow;
}

function lookup(hostname: string, options: dns.LookupOptions = {}) {
  return new Promise<{ address: string | dns.LookupAddress[]; family?: number }>((resolve, reject) =>
    guardedLookup(hostname, options, (error, address, family) => (error ? reject(error) : resolve({ address, family }))),
  );
}

/** A GET through the guarded agent; resolves with the status or rejects with the guard's error. */
function guardedGet(host: string) {
  return new Promise<number>((resolve, reject) => {
    http
      .get({ host, port, path: "/", agent: guardedAgents().http }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on("error", reject);
  });
}

const REFUSED = ["127.0.0.1", "127.0.0.2", "10.0.0.1", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "255.255.255.255", "224.0.0.1"];
const REFUSED_V6 = ["::1", "::", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "fe80::1", "fc00::1", "fd00:ec2::254", "ff02::1"];

describe("isAllowedAddress", () => {
  it.each([...REFUSED, ...REFUSED_V6])("refuses %s without an allowlist", (address) => {
    delete process.env[ALLOW_ENV];
    expect(isAllowedAddress(address)).toBe(false);
  });

  it.each(["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111"])("allows the public address %s", (address) => {
    delete process.env[ALLOW_ENV];
    expect(isAllowedAddress(address)).toBe(true);
  });

  it("refuses what is not an IP address at all", () => {
    expect(isAllowedAddress("localhost")).toBe(false);
    expect(isAllowedAddress("")).toBe(false);
  });

  it("opens exactly the listed ranges, IPv4-mapped forms included", () => {
    process.env[ALLOW_ENV] = "127.0.0.1/32, 10.0.0.0/8,fd00::/8";
    expect(isAllowedAddress("127.0.0.1")).toBe(true);
    expect(isAllowedAddress("::ffff:127.0.0.1")).toBe(true);
    expect(isAllowedAddress("127.0.0.2")).toBe(false);
    expect(isAllowedAddress("10.200.3.4")).toBe(true);
    expect(isAllowedAddress("fd00::1")).toBe(true);
    expect(isAllowedAddress("169.254.169.254")).toBe(false);
    expect(isAllowedAddress("::1")).toBe(false);
  });

  it("names the variable an administrator can set", () => {
    const error = new BlockedAddressError("metadata.internal", "169.254.169.254");
    expect(error.message).toContain(ALLOW_ENV);
    expect(error.message).toContain("169.254.169.254/32");
    expect(error.code).toBe("EBLOCKEDADDRESS");
  });
});

describe("guardedLookup and resolveAllowed", () => {
  it("refuses a name that resolves to loopback, and allows it once allowlisted", async () => {
    delete process.env[ALLOW_ENV];
    await expect(lookup("localhost")).rejects.toBeInstanceOf(BlockedAddressError);
    await expect(lookup("localhost")).rejects.toThrow(ALLOW_ENV);

    process.env[ALLOW_ENV] = "127.0.0.0/8,::1/128";
    const one = await lookup("localhost");
    expect(typeof one.address === "string" && isAllowedAddress(one.address)).toBe(true);
    const all = await lookup("localhost", { all: true });
    expect(Array.isArray(all.address) && all.address.length).toBeGreaterThan(0);
  });

  it("refuses IP literals without asking DNS, brackets or not", async () => {
    delete process.env[ALLOW_ENV];
    const lookups = vi.spyOn(dns.promises, "lookup");
    await expect(resolveAllowed("169.254.169.254")).rejects.toBeInstanceOf(BlockedAddressError);
    await expect(resolveAllowed("[::1]")).rejects.toBeInstanceOf(BlockedAddressError);
    await expect(resolveAllowed("8.8.8.8")).resolves.toBe("8.8.8.8");
    expect(lookups).not.toHaveBeenCalled();
  });

  it("judges the address dialled, so a name that rebinds after the check is still refused", async () => {
    delete process.env[ALLOW_ENV];
    // The first answer (the pre-flight check) is public; the answer at connect time is loopback.
    vi.spyOn(dns.promises, "lookup").mockResolvedValue([{ address: "93.184.216.34", family: 4 }] as never);
    vi.spyOn(dns, "lookup").mockImplementation(((_host: string, _options: unknown, callback: (e: null, a: dns.LookupAddress[]) => void) =>
      process.nextTick(callback, null, [{ address: "127.0.0.1", family: 4 }])) as never);
    await expect(resolveAllowed("rebind.example")).resolves.toBe("93.184.216.34");

    const before = connections;
    const refused = await guardedGet("rebind.example").catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BlockedAddressError);
    expect((refused as Error).message).toContain("rebind.example (127.0.0.1)");
    expect(connections).toBe(before);
  });
});

describe("guarded requests", () => {
  it("reaches an allowlisted loopback server (so the refusals below are the guard's doing)", async () => {
    process.env[ALLOW_ENV] = "127.0.0.1/32";
    await expect(guardedGet("127.0.0.1")).resolves.toBe(200);
  });

  it.each(["127.0.0.2", "::1", "::ffff:127.0.0.2", "0.0.0.0", "10.0.0.1", "169.254.169.254", "100.64.0.1"])(
    "refuses to dial %s through the guarded agent",
    async (host) => {
      process.env[ALLOW_ENV] = "127.0.0.1/32";
      const before = connections;
      const refused = await guardedGet(host).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(BlockedAddressError);
      expect(connections).toBe(before);
    },
  );

  it.each(["10.0.0.1", "169.254.169.254", "[::1]", "[::ffff:127.0.0.1]", "100.64.0.1", "0.0.0.0", "localhost"])(
    "a source download from %s fails permanently, naming the variable",
    async (host) => {
      delete process.env[ALLOW_ENV];
      const before = connections;
      const failure = await httpGetStream(`http://${host}:${port}/model.bin`, { retry: { baseDelayMs: 1 } }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(PermanentSourceError);
      expect((failure as Error).message).toContain(ALLOW_ENV);
      expect(connections).toBe(before);
    },
  );
});
