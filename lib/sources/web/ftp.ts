import "server-only";
import net from "node:net";
import { posix } from "node:path";
import { finished, PassThrough } from "node:stream";
import { Client, FTPError, type FTPContext } from "basic-ftp";
// Not re-exported by the package index, but public in its typings: the pieces a guarded PASV needs.
import { connectForPassiveTransfer, parseEpsvResponse, parsePasvResponse } from "basic-ftp/dist/transfer";
import ipaddr from "ipaddr.js";
import { BlockedAddressError, isAllowedAddress, resolveAllowed } from "@/lib/net/guard";
import { NotResumableError, resumableStream, withRetry, type Attempt, type RetryPolicy } from "./resumable";
import { PermanentSourceError, type SourceFile, type SourceListing } from "../types";

/*
 * ftp:// and ftps:// for the web source. The control connection goes to the address the guard
 * checked (the name is kept for TLS), and data connections only ever go back to that address.
 *
 * Each opened file gets its own control connection: one connection carries one transfer at a
 * time, and the pipeline may read several files at once, so sharing one would make a slow reader
 * stall the others (or deadlock when the pipeline waits on a file that is queued behind it).
 */

export type FtpOptions = { policy: RetryPolicy; signal: AbortSignal; log(message: string): Promise<void> };

type Endpoint = { host: string; port: number; user: string; password: string; secure: boolean | "implicit"; label: string };

/** Fail a hostile or broken server's endless tree instead of walking it forever. */
const MAX_DEPTH = 64;
const MAX_FILES = 100_000;
/** Replies that no retry will change: syntax errors, unsupported commands, not logged in, no such file, bad name. */
const PERMANENT_REPLIES = new Set([500, 501, 502, 504, 530, 532, 550, 553]);
const CERT_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;

/** Lists what an ftp(s) URL names: a path ending in / is a tree (walked recursively), anything else one file. */
export async function listFtp(url: URL, options: FtpOptions): Promise<SourceListing> {
  const endpoint = endpointOf(url);
  const path = remotePathOf(url);
  return withRetry(options.policy, options.signal, async () => {
    const client = await connect(endpoint, options.policy, options.signal);
    try {
      const home = await client.pwd();
      const absolute = posix.resolve(home, path || ".");
      if (path === "" || path.endsWith("/")) return await listTree(client, endpoint, absolute, options);
      return await listSingle(client, endpoint, absolute, options);
    } catch (error) {
      throw ftpFailure(error, endpoint);
    } finally {
      client.close();
    }
  });
}

function endpointOf(url: URL): Endpoint {
  const secure = url.protocol === "ftps:";
  // ftps:// on its default port 990 is implicit TLS; on any other port, explicit (AUTH TLS), as servers on 21 expect.
  const port = url.port ? Number(url.port) : secure ? 990 : 21;
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port,
    user: url.username ? decodeURIComponent(url.username) : "anonymous",
    password: url.password ? decodeURIComponent(url.password) : "anonymous@",
    secure: secure ? (port === 990 ? "implicit" : true) : false,
    label: `${url.protocol}//${url.host}`,
  };
}

/** As curl reads it: relative to the login directory; %2F at the start makes it absolute. */
function remotePathOf(url: URL): string {
  try {
    return decodeURIComponent(url.pathname.replace(/^\//, ""));
  } catch {
    throw new PermanentSourceError(`The path of ${url.protocol}//${url.host}${url.pathname} is not valid percent-encoding.`);
  }
}

async function connect(endpoint: Endpoint, policy: RetryPolicy, signal: AbortSignal): Promise<Client> {
  signal.throwIfAborted();
  const ip = await resolveAllowed(endpoint.host).catch((error: unknown) => Promise.reject(ftpFailure(error, endpoint)));
  const client = new Client(policy.timeoutMs);
  guardDataConnections(client);
  const onAbort = () => client.close();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    await client.access({
      host: ip,
      port: endpoint.port,
      user: endpoint.user,
      password: endpoint.password,
      secure: endpoint.secure,
      // The certificate is checked against the name the user gave, not the IP we dial.
      secureOptions: net.isIP(endpoint.host) ? {} : { servername: endpoint.host },
    });
    return client;
  } catch (error) {
    client.close();
    throw ftpFailure(error, endpoint);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/**
 * Replaces basic-ftp's transfer strategy so no data connection reaches an address the guard
 * refuses: EPSV only names a port (the control address is reused); a PASV address is judged by
 * `passiveDataHost`. A refused EPSV falls back to PASV; a refused PASV host is a permanent error.
 */
function guardDataConnections(client: Client): void {
  let epsv = true;
  client.prepareTransfer = async (ftp: FTPContext) => {
    const control = ftp.socket.remoteAddress;
    if (!control) throw new Error("The FTP control connection closed.");
    if (epsv) {
      try {
        const res = await ftp.request("EPSV");
        await connectForPassiveTransfer(control, parseEpsvResponse(res.message), ftp);
        return res;
      } catch (error) {
        if (!(error instanceof FTPError)) throw error;
        epsv = false;
      }
    }
    const res = await ftp.request("PASV");
    const offered = parsePasvResponse(res.message);
    await connectForPassiveTransfer(passiveDataHost(control, offered.host), offered.port, ftp);
    return res;
  };
}

/**
 * Where a PASV data connection may go: the control address when the server names it, or when a
 * public server names a private address (it sits behind NAT and means itself). Any other address
 * is refused — by the guard's rule when it is not allowed, as a different host otherwise.
 */
export function passiveDataHost(control: string, offered: string): string {
  const controlIp = ipaddr.process(control);
  if (ipaddr.isValid(offered) && ipaddr.process(offered).toString() === controlIp.toString()) return control;
  const offeredPublic = ipaddr.isValid(offered) && ipaddr.process(offered).range() === "unicast";
  if (controlIp.range() === "unicast" && !offeredPublic) return control;
  if (!isAllowedAddress(offered)) throw new BlockedAddressError(offered, offered);
  throw new PermanentSourceError(
    `The FTP server asked for the data connection to go to another host (${offered}, not ${controlIp.toString()}); ` +
      "Cairn only connects to the server it logged in to.",
    "denied",
  );
}

async function listTree(client: Client, endpoint: Endpoint, root: string, options: FtpOptions): Promise<SourceListing> {
  const files: SourceFile[] = [];
  const walk = async (dir: string, prefix: string, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH) throw new PermanentSourceError(`${endpoint.label}${root} is nested more than ${MAX_DEPTH} directories deep.`);
    await client.cd(dir);
    for (const entry of await client.list()) {
      if (!entry.name || entry.name === "." || entry.name === "..") continue;
      if (entry.name.includes("/")) {
        await options.log(`Skipped ${JSON.stringify(entry.name)} in ${dir}: not a usable file name.`);
        continue;
      }
      const remote = posix.join(dir, entry.name);
      if (entry.isDirectory) await walk(remote, `${prefix}${entry.name}/`, depth + 1);
      else if (entry.isFile) files.push(ftpFile(endpoint, remote, prefix + entry.name, Number.isFinite(entry.size) ? entry.size : null, options));
      else await options.log(`Skipped ${prefix}${entry.name}: a link or special file, not a regular file.`);
      if (files.length > MAX_FILES) throw new PermanentSourceError(`${endpoint.label}${root} holds more than ${MAX_FILES} files.`);
    }
  };
  await walk(root, "", 0);
  if (files.length === 0) throw new PermanentSourceError(`${endpoint.label}${root} has no files below it.`, "not_found");
  return { kind: "tree", files };
}

async function listSingle(client: Client, endpoint: Endpoint, remote: string, options: FtpOptions): Promise<SourceListing> {
  // Some servers answer SIZE for a directory too, so ask the question directly.
  const directory = await client.cd(remote).then(
    () => true,
    () => false,
  );
  if (directory) throw new PermanentSourceError(`${endpoint.label}${remote} is a directory. End the URL with / to sync every file below it.`);
  let size: number | null = null;
  try {
    size = await client.size(remote);
  } catch (error) {
    if (!(error instanceof FTPError)) throw error;
    if (error.code === 550) throw new PermanentSourceError(`${endpoint.label}${remote} was not found (${reply(error)}). Check the URL.`, "not_found");
    // Otherwise the server just does not do SIZE: the size stays unknown.
  }
  const name = posix.basename(remote);
  return { kind: "single", file: ftpFile(endpoint, remote, name, size, options), name };
}

function ftpFile(endpoint: Endpoint, remote: string, path: string, size: number | null, options: FtpOptions): SourceFile {
  return {
    path,
    size,
    async open(opts) {
      const signal = opts?.signal ? AbortSignal.any([options.signal, opts.signal]) : options.signal;
      const openAt = (offset: number) => startDownload(endpoint, remote, offset, options.policy, signal);
      const first = await withRetry(options.policy, signal, () => openAt(0));
      return resumableStream({ first, openAt, expected: size, policy: options.policy, signal, what: `${endpoint.label}${remote}` });
    },
  };
}

/** One transfer on its own connection; `done` settles with the server's final reply, after the bytes. */
async function startDownload(endpoint: Endpoint, remote: string, offset: number, policy: RetryPolicy, signal: AbortSignal): Promise<Attempt> {
  const client = await connect(endpoint, policy, signal);
  const body = new PassThrough();
  const done = client
    .downloadTo(body, remote, offset)
    .catch((error: unknown) => {
      const failure = ftpFailure(error, endpoint);
      // A server without REST cannot continue; the file has to start over.
      if (offset > 0 && error instanceof FTPError && error.code >= 500 && error.code <= 504) throw new NotResumableError(`${endpoint.label}${remote}: ${reply(error)}; it cannot be resumed.`);
      throw failure;
    })
    .finally(() => client.close());
  finished(body, (error) => {
    if (error) client.close();
  });
  return { body, done };
}

function reply(error: FTPError): string {
  return error.message.replace(/\s+/g, " ").slice(0, 200);
}

/** Turns what basic-ftp throws into a permanent sentence or a retryable error. */
function ftpFailure(error: unknown, endpoint: Endpoint): unknown {
  if (!(error instanceof Error) || error instanceof PermanentSourceError || error instanceof NotResumableError || error.name === "AbortError") return error;
  const code = String((error as NodeJS.ErrnoException).code ?? "");
  if (error instanceof BlockedAddressError || code === "EBLOCKEDADDRESS") return new PermanentSourceError(error.message, "denied");
  if (error instanceof FTPError) {
    if (error.code === 530) {
      return new PermanentSourceError(`${endpoint.label} refused the login (${reply(error)}). Check the user name and password in the URL, or leave them out for anonymous access.`, "denied");
    }
    if (PERMANENT_REPLIES.has(error.code)) return new PermanentSourceError(`${endpoint.label} answered ${reply(error)}. Check the URL.`, error.code === 550 ? "not_found" : error.code === 530 || error.code === 532 ? "denied" : "invalid");
    return new Error(`${endpoint.label} answered ${reply(error)}.`, { cause: error });
  }
  if (code === "ENOTFOUND") return new PermanentSourceError(`The host ${endpoint.host} was not found. Check the URL.`, "not_found");
  if (CERT_ERROR.test(code)) return new PermanentSourceError(`The TLS certificate of ${endpoint.host} could not be verified (${code}). Check the URL.`, "denied");
  return new Error(`${endpoint.label} failed: ${error.message}.`, { cause: error });
}
