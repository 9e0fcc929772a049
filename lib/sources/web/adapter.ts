import "server-only";
import { setMaxListeners } from "node:events";
import { rangedStream, type RangedSource } from "../ranged-stream";
import { PermanentSourceError, type SourceAdapter, type SourceContext, type SourceFile, type SourceListing } from "../types";
import { listFtp } from "./ftp";
import { displayUrl, httpGetStream, httpHead, type HttpResourceInfo } from "./http-fetch";
import { retryPolicy, type RetryPolicy } from "./resumable";
import { webSpec } from "./spec";

const MiB = 1024 ** 2;

/**
 * When a download is split into byte ranges fetched side by side. `partSize` is for a store that
 * writes each range at its offset (the filesystem store); `streamPartSize` for stitching the ranges
 * into one ordered stream (archives, the S3 store), where the ranges behind the head are held in
 * memory until it is done.
 */
export type ParallelRanges = { minSize: number; partSize: number; streamPartSize: number; concurrency: number };

export type WebSourceOptions = {
  retry?: Partial<RetryPolicy>;
  /** `false` always downloads in one stream. */
  parallel?: ParallelRanges | false;
};

/**
 * Four ranges in flight. Written at their offsets, 16 MiB ranges took a 1 GiB download from
 * ~1.6–2.9 s with 4 MiB ranges to ~1.3–1.9 s on this machine (a quarter of the requests).
 * Stitched into a stream they stay at 4 MiB: what is held long enough to outlive two scavenges is
 * promoted and only full collections of the server's heap free it; with 8 MiB parts a 1 GiB
 * ingest ran ~30 mark-compacts and 6.8 s of server CPU, with 4 MiB parts ~20 and 4.5 s (about as
 * few as one plain stream), and 2 MiB parts gained nothing more (`npm run bench ingest`, --trace-gc).
 */
export const DEFAULT_PARALLEL: ParallelRanges = { minSize: 64 * MiB, partSize: 16 * MiB, streamPartSize: 4 * MiB, concurrency: 4 };

/** The `web` source with its retry and parallelism tuning; tests shorten the backoff. */
export function createWebSource(options: WebSourceOptions = {}): SourceAdapter {
  const policy = retryPolicy(options.retry);
  const parallel = options.parallel ?? DEFAULT_PARALLEL;
  return {
    type: webSpec.type,
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
    throw new PermanentSourceError(`The path is not a valid URL. ${webSpec.path.rule}`, "invalid");
  }
  if (!["http:", "https:", "ftp:", "ftps:"].includes(url.protocol) || !url.hostname) {
    throw new PermanentSourceError(`${displayUrl(url)} is not a web URL. ${webSpec.path.rule}`, "invalid");
  }
  return url;
}

async function listHttp(url: URL, ctx: SourceContext, policy: RetryPolicy, parallel: ParallelRanges | false): Promise<SourceListing> {
  if (url.pathname.endsWith("/")) {
    throw new PermanentSourceError(
      `${displayUrl(url)} ends with /, so it names a directory, and HTTP cannot list a directory. ` +
        "Give the URL of one file instead (an archive such as .tar.gz or .zip is extracted).",
      "invalid",
    );
  }
  const info = await httpHead(url.href, { signal: ctx.signal, retry: policy });
  const name = fileNameFor(url, info);
  const ranges = httpRanges(url, info, policy, parallel, ctx.signal);
  const file: SourceFile = {
    path: name,
    size: info.size,
    ranges,
    open: async (opts) => {
      const signal = opts?.signal ? AbortSignal.any([ctx.signal, opts.signal]) : ctx.signal;
      if (ranges && parallel) return rangedStream({ ...ranges, rangeSize: parallel.streamPartSize, signal });
      return (await httpGetStream(url.href, { signal, retry: policy })).body;
    },
  };
  return { kind: "single", file, name };
}

/** The file as parallel ranges, when it is large and the host honours Range with a validator. */
function httpRanges(url: URL, info: HttpResourceInfo, policy: RetryPolicy, parallel: ParallelRanges | false, signal: AbortSignal): RangedSource | undefined {
  const { size, validator } = info;
  // Ranges of one object must come from one version of it, so they need a validator for If-Range.
  if (!parallel || !info.acceptRanges || !validator || size === null || size < parallel.minSize) return undefined;
  return {
    size,
    rangeSize: parallel.partSize,
    concurrency: parallel.concurrency,
    // httpGetStream retries each request itself, continuing a broken body where it stopped.
    attempts: 1,
    fetchRange: async (start, end, rangeSignal) => {
      const both = AbortSignal.any([signal, rangeSignal]);
      // All ranges share these signals and each holds a few abort listeners while it runs: expected, not a leak.
      setMaxListeners(parallel.concurrency * 4 + 10, rangeSignal, both);
      return (await httpGetStream(url.href, { range: { start, end }, ifRange: validator, retry: policy, signal: both })).body;
    },
  };
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
