import { subscribe } from "node:diagnostics_channel";
import type http from "node:http";
import type { Socket } from "node:net";
import { serveDataPlane } from "./data-plane";

/**
 * How long an idle keep-alive connection stays open. Node's default (5 s, which `next start`
 * keeps) is what clients read from `Keep-Alive: timeout=5`: undici reuses a connection idle for up
 * to 3 s of its coarse clock, so a client or server that stalls for a couple of seconds between
 * two requests sends the next one into a connection the other side is closing.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** After an idle timeout fires, how long a connection gets to show a request is already on its way. */
const IDLE_CLOSE_GRACE_MS = 1_000;

/**
 * The file path of a `…/files/{path}` request as the client sent it, percent-encoded, when the URL
 * parser would have changed it (dot segments, backslashes). Set only by `preserveRawFilePath`,
 * which drops any copy a client sends.
 */
export const RAW_FILE_PATH_HEADER = "x-cairn-raw-file-path";

const FILES_ROUTE = /^(\/api\/v1\/checkpoints\/[^/?#]+\/files\/)([^?#]*)(.*)$/s;
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;

/**
 * The URL parser behind Next.js's router (and `new URL`) resolves `.` and `..` segments — plain
 * or percent-encoded (`%2e%2e`) — before any route sees the path, and Next answers a backslash
 * with a redirect: `…/files/%2e%2e/evil` arrived as `…/checkpoints/{ref}/evil` and answered 404.
 * This keeps such a request on the files route: its dot segments are encoded once more so they
 * survive the parser (the route then sees a literal `%2e%2e`), backslashes are encoded, and the
 * path as sent (each segment decoded) travels in `RAW_FILE_PATH_HEADER`, which the files route
 * checks against the file path rule — so the encoded forms answer 422 exactly as the plain ones.
 */
export function preserveRawFilePath(request: http.IncomingMessage): void {
  delete request.headers[RAW_FILE_PATH_HEADER];
  const match = FILES_ROUTE.exec(request.url ?? "");
  if (!match) return;
  const [, prefix, rawPath, rest] = match as unknown as [string, string, string, string];
  const segments = rawPath.split("/");
  if (!segments.some((segment) => DOT_SEGMENT.test(segment)) && !rawPath.includes("\\")) return;
  let decoded: string;
  try {
    decoded = segments.map((segment) => decodeURIComponent(segment)).join("/");
  } catch {
    return;
  }
  request.headers[RAW_FILE_PATH_HEADER] = encodeURIComponent(decoded);
  const kept = segments.map((segment) =>
    (DOT_SEGMENT.test(segment) ? segment.replace(/%/g, "%25").replace(/\./g, "%252E") : segment).replace(/\\/g, "%5C"),
  );
  request.url = `${prefix}${kept.join("/")}${rest}`;
}

/** The path `preserveRawFilePath` recorded for this request, or null when the URL kept it intact. */
export function rawFilePath(request: Request): string | null {
  const raw = request.headers.get(RAW_FILE_PATH_HEADER);
  if (raw === null) return null;
  try {
    return decodeURIComponent(raw);
  } catch {
    return null;
  }
}

const hardened = new WeakSet<http.Server>();

/**
 * Settings for the HTTP server that serves the API, for uploads of any size on a busy machine:
 *
 * - An idle keep-alive connection is closed only once it really is idle. Node closes it from a
 *   timer, and timers run before sockets are read: after the event loop stalled (a synchronous
 *   write the kernel throttled, a long GC, a starved CPU) the timer fired and destroyed a
 *   connection whose next request was already waiting in it — the client saw "fetch failed"
 *   (ECONNRESET) at the start of its next PUT. Here the decision waits a grace period and one
 *   turn of the event loop (so whatever arrived has been read), and a connection that received
 *   anything is left to the request it carries.
 * - Idle connections stay `KEEP_ALIVE_TIMEOUT_MS` (advertised to clients, which reuse a
 *   connection only well within it) instead of 5 s.
 * - No limit on how long a request may take to arrive (Node's `requestTimeout`, 300 s): a PUT or
 *   tus PATCH of a large checkpoint file legitimately takes longer, and was cut off with a 408
 *   at five minutes. Headers must still arrive within `headersTimeout` (60 s).
 * - Upload paths keep their dot segments (`preserveRawFilePath`).
 * - Upload and download bodies take the data plane (lib/net/data-plane.ts) unless `dataPlane` is
 *   false: the server's own listeners (Next.js) get every other request.
 */
export function hardenHttpServer(server: http.Server, opts: { keepAliveTimeoutMs?: number; dataPlane?: boolean } = {}): void {
  if (hardened.has(server)) return;
  hardened.add(server);
  server.keepAliveTimeout = opts.keepAliveTimeoutMs ?? KEEP_ALIVE_TIMEOUT_MS;
  server.requestTimeout = 0;
  // With a listener here Node no longer destroys timed-out sockets itself.
  server.on("timeout", (socket: Socket) => closeIfStillIdle(socket));
  if (opts.dataPlane === false) {
    server.prependListener("request", (request: http.IncomingMessage) => preserveRawFilePath(request));
    return;
  }
  // Every request: its file path kept, then the data plane's, or the listeners the server had (Next.js).
  const listeners = server.listeners("request") as ((req: http.IncomingMessage, res: http.ServerResponse) => void)[];
  server.removeAllListeners("request");
  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    preserveRawFilePath(req);
    if (serveDataPlane(req, res)) return;
    for (const listener of listeners) listener.call(server, req, res);
  });
}

function closeIfStillIdle(socket: Socket): void {
  const read = socket.bytesRead;
  const timer = setTimeout(() => {
    // Sockets are read in the poll phase, after timers: look once everything pending is in.
    setImmediate(() => {
      if (!socket.destroyed && socket.bytesRead === read) socket.destroy();
    });
  }, IDLE_CLOSE_GRACE_MS);
  timer.unref();
}

/**
 * Hardens the HTTP server of this process (the one `next start` creates) from the first request it
 * publishes on Node's `http.server.request.start` channel — before its 'request' listeners run,
 * so that request is covered too. Called from instrumentation.ts.
 */
export function hardenHttpServersOfThisProcess(): void {
  const globalForHttp = globalThis as unknown as { cairnHttpHardened?: boolean };
  if (globalForHttp.cairnHttpHardened) return;
  globalForHttp.cairnHttpHardened = true;
  subscribe("http.server.request.start", (message) => {
    const { server } = message as { server?: http.Server };
    if (server) hardenHttpServer(server);
  });
}
