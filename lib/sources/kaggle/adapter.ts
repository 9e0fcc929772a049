import "server-only";
import type { Readable } from "node:stream";
import { BlockedAddressError } from "@/lib/net/guard";
import { guardedRequest, readText, type GuardedResponse } from "../guarded-fetch";
import { probeHttp } from "../probe-http";
import { PermanentSourceError, type SourceAdapter, type SourceConnection, type SourceContext, type SourceFile } from "../types";
import { kaggleSpec, kaggleTypes } from "./spec";

type KaggleType = (typeof kaggleTypes)[number];
const MAX_OUTPUT_PAGES = 1000;

type KaggleApi = { base: string; origin: string; headers: Record<string, string>; signed: boolean; signal: AbortSignal };

/** The connection's base URL wins over KAGGLE_API_BASE_URL, which wins over kaggle.com's. */
function apiBase(connection: SourceConnection | null): string {
  const config = connection?.config ?? {};
  return ((typeof config.baseUrl === "string" && config.baseUrl) || process.env.KAGGLE_API_BASE_URL || kaggleSpec.defaultEndpoint).replace(/\/+$/, "");
}

/** The legacy v1 REST API the official CLI has always spoken. */
function kaggleApi(ctx: SourceContext): KaggleApi {
  const config = ctx.connection?.config ?? {};
  const base = apiBase(ctx.connection);
  const headers: Record<string, string> = { accept: "application/json", "accept-encoding": "identity" };
  const key = ctx.connection?.secret.key;
  if (key) {
    const username = typeof config.username === "string" ? config.username : "";
    if (!username) throw new PermanentSourceError("The Kaggle connection has an API key but no username: add the Kaggle username to the connection.", "invalid");
    headers.authorization = `Basic ${Buffer.from(`${username}:${key}`).toString("base64")}`;
  }
  return { base, origin: new URL(base).origin, headers, signed: Boolean(key), signal: ctx.signal };
}

async function refusal(res: GuardedResponse, what: string, api: KaggleApi, type: KaggleType): Promise<Error> {
  const text = await readText(res.body).catch(() => "");
  let detail = text.slice(0, 300);
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === "string") detail = parsed.message;
  } catch {
    // Not JSON: keep the start of the text.
  }
  const said = detail ? ` Kaggle said: ${detail}` : "";
  if (res.status === 401 || res.status === 403) {
    if (!api.signed) return new PermanentSourceError(`Kaggle needs credentials for ${what} (HTTP ${res.status}): add a Kaggle connection with your username and API key.${said}`, "denied");
    const rules = type === "competition" && res.status === 403 ? " For a competition, accept its rules on kaggle.com with that account first." : "";
    return new PermanentSourceError(`Kaggle refused access to ${what} (HTTP ${res.status}): check the Kaggle username/key connection.${rules}${said}`, "denied");
  }
  if (res.status === 404) return new PermanentSourceError(`Kaggle ${what} not found. Check the name and the Kaggle type (competition, dataset or kernel).${said}`, "not_found");
  return new Error(`Kaggle answered HTTP ${res.status} for ${what}.${said}`);
}

async function kaggleGet(url: string, api: KaggleApi, what: string, type: KaggleType, signal?: AbortSignal): Promise<GuardedResponse> {
  // Kaggle redirects downloads to signed storage URLs; guardedRequest drops the Basic header on the way.
  const headers = new URL(url).origin === api.origin ? api.headers : { "accept-encoding": "identity" };
  let res: GuardedResponse;
  try {
    res = await guardedRequest(url, { headers, signal: signal ?? api.signal });
  } catch (error) {
    throw error instanceof BlockedAddressError ? new PermanentSourceError(error.message, "denied") : error;
  }
  if (res.status !== 200) throw await refusal(res, what, api, type);
  return res;
}

/** A zip Kaggle builds on request; listing checks access and learns the size, the pipeline then opens it. */
async function zipDownload(url: string, api: KaggleApi, what: string, type: KaggleType, name: string) {
  const probe = await kaggleGet(url, api, what, type);
  probe.body.destroy();
  const length = Number(probe.headers["content-length"]);
  const file: SourceFile = {
    path: name,
    size: Number.isFinite(length) && probe.headers["content-length"] ? length : null,
    open: async (opts) => (await kaggleGet(url, api, what, type, opts?.signal)).body as Readable,
  };
  return { kind: "single" as const, file, name };
}

type OutputPage = { files?: { url?: string; fileName?: string }[]; nextPageToken?: string };

/** A kernel's output files, listed the way `kaggle kernels output` does (GET /kernels/output, then each file's URL). */
async function kernelOutput(api: KaggleApi, owner: string, slug: string): Promise<SourceFile[]> {
  const files: SourceFile[] = [];
  let pageToken = "";
  for (let page = 0; page < MAX_OUTPUT_PAGES; page++) {
    const query = new URLSearchParams({ userName: owner, kernelSlug: slug, ...(pageToken ? { pageToken } : {}) });
    const res = await kaggleGet(`${api.base}/kernels/output?${query}`, api, `kernel ${owner}/${slug}`, "kernel");
    const listing = JSON.parse(await readText(res.body)) as OutputPage;
    for (const item of listing.files ?? []) {
      if (!item.url || !item.fileName) continue;
      const { url, fileName } = item;
      files.push({ path: fileName, size: null, open: async (opts) => (await kaggleGet(url, api, `output file ${fileName}`, "kernel", opts?.signal)).body });
    }
    if (!listing.nextPageToken) return files;
    pageToken = listing.nextPageToken;
  }
  throw new Error(`Kaggle kept paging the output of ${owner}/${slug} past ${MAX_OUTPUT_PAGES} pages.`);
}

function kaggleType(name: string, option: string | undefined): KaggleType {
  const type = option || (name.includes("/") ? "dataset" : "competition");
  if (!(kaggleTypes as readonly string[]).includes(type)) throw new PermanentSourceError(`kaggleType must be one of ${kaggleTypes.join(", ")}.`);
  const parts = name.split("/").length;
  if (type === "competition" && parts !== 1) throw new PermanentSourceError(`A Kaggle competition is a single short name (e.g. titanic), not '${name}'.`);
  if (type !== "competition" && parts !== 2) throw new PermanentSourceError(`A Kaggle ${type} is named <owner>/<name>, not '${name}'.`);
  return type as KaggleType;
}

/** The first page of the dataset list, signed with the connection's username and key. */
function probeKaggle(connection: SourceConnection) {
  const username = typeof connection.config.username === "string" ? connection.config.username : "";
  const basic = Buffer.from(`${username}:${connection.secret.key ?? ""}`).toString("base64");
  return probeHttp(`${apiBase(connection)}/datasets/list?page=1`, { authorization: `Basic ${basic}` }, "Kaggle");
}

/**
 * Kaggle competitions and datasets (one zip the pipeline extracts, named `<name>.zip` as the
 * official CLI saves it) and kernel outputs (a tree). HTTP Basic with the connection's username and key.
 */
export const kaggleSource: SourceAdapter = {
  type: kaggleSpec.type,
  probe: probeKaggle,
  async list(ctx) {
    const name = ctx.uri.trim();
    if (!kaggleSpec.path.check(name)) throw new PermanentSourceError(kaggleSpec.path.rule, "invalid");
    const type = kaggleType(name, ctx.options.kaggleType);
    const api = kaggleApi(ctx);
    // The rule allows only [A-Za-z0-9._-] in each part, so they go into URLs as they are.
    const [owner, slug = ""] = name.split("/");
    if (type === "competition") {
      await ctx.log(`Kaggle competition ${name}: downloading all its data files.`);
      return zipDownload(`${api.base}/competitions/data/download-all/${owner}`, api, `competition ${name}`, type, `${name}.zip`);
    }
    if (type === "dataset") {
      await ctx.log(`Kaggle dataset ${name}: downloading it as a zip.`);
      return zipDownload(`${api.base}/datasets/download/${owner}/${slug}`, api, `dataset ${name}`, type, `${slug}.zip`);
    }
    const files = await kernelOutput(api, owner, slug);
    await ctx.log(`Kaggle kernel ${name}: ${files.length} output files.`);
    return { kind: "tree", files };
  },
};
