import { setMaxListeners } from "node:events";
import type { Readable } from "node:stream";
import { listFtp } from "./ftp";
import { displayUrl, httpGetStream, httpHead, type HttpResourceInfo } from "./http-fetch";
import { rangedStream } from "./ranged-stream";
import { retryPolicy, type RetryPolicy } from "./resumable";
import { PermanentSourceError, type SourceAdapter, type SourceContext, type SourceFile, type SourceListing } from "./types";

const MiB = 1024 ** 2;

/** When a download is split into byte ranges fetched side by side and stitched in order. */
export type ParallelRanges = { minSize: number; partSize: number; concurrency: number };

export type WebSourceOptions = {
  retry?: Partial<RetryPolicy>;
  /** `false` always downloads in one stream. */
  parallel?: ParallelRanges | false;
};

/**
 * Four ranges of 4 MiB in flight. The ranges behind the head are held in memory until it is done,
 * and what is held long enough to outlive two scavenges is promoted and can only be freed by full
 * collections of the server's heap: with 8 MiB parts a 1 GiB ingest ran ~30 mark-compacts and
 * 6.8 s of server CPU, with 4 MiB parts ~20 and 4.5 s (about as few as one plain stream), and it
 * finished about a third sooner (`npm run bench ingest`, --trace-gc). 2 MiB parts gained nothing more.
 */
export const DEFAULT_PARALLEL: ParallelRanges = { minSize: 64 * MiB, partSize: 4 * MiB, concurrency: 4 };

/** The `web` source with its retry and parallelism tuning; tests shorten the backoff. */
export function createWebSource(options: WebSourceOptions = {}): SourceAdapter {
  const policy = retryPolicy(options.retry);
  const parallel = options.parallel ?? DEFAULT_PARALLEL;
  return {
    type: "web",
    async list(ctx) {
      const url = parseWebUrl(ctx.uri);
      if (url.protocol === "ftp:" || url.protocol === "ftps:") return listFtp(url, { policy, signal: ctx.signal, log: ctx.log });
      return listHttp(url, ctx, policy, parallel);
    },
  };
}

/** http(s):// one file, resumed by Range; ftp(s):// one file or, ending in /, the whole tree below. */
export const webSource: SourceAdapter = createWebSource();

function parseWebUrl(uri: string): URL {
  let url: URL;
  try {
    url = new URL(uri.trim());
  } catch {
    throw new PermanentSourceError("The path is not a valid URL. A web path begins with http://, https://, ftp:// or ftps://.");
  }
  if (!["http:", "https:", "ftp:", "ftps:"].includes(url.protocol) || !url.hostname) {
    throw new PermanentSourceError(`${displayUrl(url)} is not a web URL. A web path begins with http://, https://, ftp:// or ftps://.`);
  }
  return url;
}

async function listHttp(url: URL, ctx: SourceContext, policy: RetryPolicy, parallel: ParallelRanges | false): Promise<SourceListing> {
  if (url.pathname.endsWith("/")) {
    throw new PermanentSourceError(
      `${displayUrl(url)} ends with /, so it names a directory, and HTTP cannot list a directory. ` +
        "Give the URL of one file instead (an archive such as .tar.gz or .zip is extracted).",
    );
  }
  const info = await httpHead(url.href, { signal: ctx.signal, retry: policy });
  const name = fileNameFor(url, info);
  const file: SourceFile = {
    path: name,
    size: info.size,
    open: (opts) => openHttp(url, info, policy, parallel, opts?.signal ? AbortSignal.any([ctx.signal, opts.signal]) : ctx.signal),
  };
  return { kind: "single", file, name };
}

async function openHttp(url: URL, info: HttpResourceInfo, policy: RetryPolicy, parallel: ParallelRanges | false, signal: AbortSignal): Promise<Readable> {
  const { size, validator } = info;
  // Ranges of one object must come from one version of it, so they need a validator for If-Range.
  if (parallel && info.acceptRanges && validator && size !== null && size >= parallel.minSize) {
    return rangedStream({
      size,
      rangeSize: parallel.partSize,
      concurrency: parallel.concurrency,
      signal,
      attempts: 1,
      fetchRange: async (start, end, rangeSignal) => {
        // All ranges share this signal and each holds a few abort listeners while it runs: expected, not a leak.
        setMaxListeners(parallel.concurrency * 4 + 10, rangeSignal);
        return (await httpGetStream(url.href, { range: { start, end }, ifRange: validator, retry: policy, signal: rangeSignal })).body;
      },
    });
  }
  return (await httpGetStream(url.href, { signal, retry: policy })).body;
}

/** Content-Disposition's name, else the last segment of the URL given, else of the URL that answered. */
function fileNameFor(url: URL, info: HttpResourceInfo): string {
  for (const candidate of [info.fileName, lastSegment(url.pathname), lastSegment(new URL(info.url).pathname)]) {
    const clean = [...(candidate?.split(/[\\/]/).pop() ?? "")].filter((c) => c >= " " && c !== "\u007f").join("").trim();
    if (clean && clean !== "." && clean !== "..") return clean;
  }
  return "download";
}

function lastSegment(pathname: string): string | null {
  const segment = pathname.split("/").pop();
  if (!segment) return null;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
