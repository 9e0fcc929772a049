import "server-only";
import type { Readable } from "node:stream";
import { HubApiError, listFiles, modelInfo } from "@huggingface/hub";
import { BlockedAddressError } from "@/lib/net/guard";
import { guardedFetch, guardedRequest, readText } from "../guarded-fetch";
import { probeHttp } from "../probe-http";
import { PermanentSourceError, type SourceAdapter, type SourceConnection, type SourceContext, type SourceFile } from "../types";
import { huggingfaceSpec } from "./spec";

const SHA256 = /^[0-9a-f]{64}$/;

/** The connection's endpoint wins over HF_ENDPOINT (a server-wide mirror), which wins over the public Hub. */
function hubEndpoint(connection: SourceConnection | null): string {
  const configured = typeof connection?.config.endpoint === "string" ? connection.config.endpoint : "";
  return (configured || process.env.HF_ENDPOINT || huggingfaceSpec.defaultEndpoint).replace(/\/+$/, "");
}

type HubAccess = { hubUrl: string; token?: string; accessToken?: string; fetch: typeof fetch; errorCode(): string | null };

/**
 * The library only accepts `hf_…` tokens; self-hosted hubs and mirrors may issue others, so those
 * travel as a header our fetch adds (to the hub's own origin only). The fetch also remembers the
 * Hub's X-Error-Code, which tells a missing repo from a missing revision.
 */
function hubAccess(ctx: SourceContext): HubAccess {
  const hubUrl = hubEndpoint(ctx.connection);
  const token = ctx.connection?.secret.token || undefined;
  const accessToken = token?.startsWith("hf_") ? token : undefined;
  const origin = new URL(hubUrl).origin;
  let lastErrorCode: string | null = null;
  const fetch: typeof globalThis.fetch = async (input, init = {}) => {
    const headers = new Headers(init.headers);
    const url = new URL(input instanceof Request ? input.url : input.toString());
    if (token && !accessToken && url.origin === origin) headers.set("authorization", `Bearer ${token}`);
    const response = await guardedFetch(input, { ...init, headers, signal: init.signal ?? ctx.signal });
    if (!response.ok) lastErrorCode = response.headers.get("x-error-code");
    return response;
  };
  return { hubUrl, token, accessToken, fetch, errorCode: () => lastErrorCode };
}

/** Where a listing stood when it failed: the revision asked for, and the commit it resolved to (once known). */
type HubAt = { repo: string; requested: string; commit?: string };

function hubError(error: unknown, at: HubAt, access: HubAccess): unknown {
  const { repo, requested, commit } = at;
  if (error instanceof BlockedAddressError) return new PermanentSourceError(error.message, "denied");
  if (!(error instanceof HubApiError)) return error;
  const status = error.statusCode;
  if (status === 401 && access.token) {
    return new PermanentSourceError(`The Hugging Face Hub refused the token for ${repo} (HTTP 401): check the token in the connection, or that the repo exists.`, "denied");
  }
  if (status === 401 || (status === 403 && !access.token)) {
    return new PermanentSourceError(
      `${repo} is private or gated (or does not exist): add a Hugging Face token connection with access to it, and accept the model's conditions on its page if it is gated.`,
      "denied",
    );
  }
  if (status === 403) {
    return new PermanentSourceError(
      `The token has no access to ${repo} (HTTP 403): it is gated or restricted. Accept its conditions on the model page with the token's account, or use a token with read access.`,
      "denied",
    );
  }
  if (status === 404 && access.errorCode() === "RevisionNotFound") {
    // The revision resolved, then its commit was not found: name both, or the user hunts for a
    // typo in a branch name that exists.
    if (commit && commit !== requested) {
      return new PermanentSourceError(
        `Revision '${requested}' of the Hugging Face repo ${repo} resolved to commit ${commit}, but the Hub then found no commit ${commit} (HTTP 404): the branch may have moved or the commit been removed. Try again, or give a revision that exists.`,
        "not_found",
      );
    }
    return new PermanentSourceError(`Revision '${requested}' not found in the Hugging Face repo ${repo}. Check the branch or revision.`, "not_found");
  }
  if (status === 404) return new PermanentSourceError(`Hugging Face repo ${repo} not found. Check the name (<namespace>/<repo>).`, "not_found");
  return error;
}

/** Downloads one file by direct GET of its resolve URL; the Hub redirects LFS/Xet files to its CDN. */
async function openHubFile(url: string, access: HubAccess, what: string, signal?: AbortSignal): Promise<Readable> {
  const headers: Record<string, string> = { "accept-encoding": "identity" };
  if (access.token) headers.authorization = `Bearer ${access.token}`;
  let res;
  try {
    res = await guardedRequest(url, { headers, signal });
  } catch (error) {
    throw error instanceof BlockedAddressError ? new PermanentSourceError(error.message, "denied") : error;
  }
  if (res.status === 200) return res.body;
  const detail = (await readText(res.body).catch(() => "")).slice(0, 200);
  if (res.status === 401 || res.status === 403) throw new PermanentSourceError(`The Hugging Face Hub refused to serve ${what} (HTTP ${res.status}).`, "denied");
  if (res.status === 404) throw new PermanentSourceError(`${what} is no longer on the Hugging Face Hub (HTTP 404).`, "not_found");
  throw new Error(`The Hugging Face Hub answered HTTP ${res.status} for ${what}${detail ? `: ${detail}` : ""}.`);
}

/** whoami with the connection's token: the cheapest call that proves it. */
function probeHub(connection: SourceConnection) {
  return probeHttp(`${hubEndpoint(connection)}/api/whoami-v2`, { authorization: `Bearer ${connection.secret.token}` }, "Hugging Face");
}

/**
 * Hugging Face model repos, `<namespace>/<repo>`, as a tree. The requested branch or revision
 * (`revision` wins) is first resolved to its commit, and every file is listed and downloaded at
 * that commit, so a push during the ingest cannot mix two versions. LFS files carry their oid as
 * the SHA-256 the pipeline checks.
 */
export const huggingfaceSource: SourceAdapter = {
  type: huggingfaceSpec.type,
  probe: probeHub,
  async list(ctx) {
    const repo = ctx.uri.trim();
    if (!huggingfaceSpec.path.check(repo)) throw new PermanentSourceError(huggingfaceSpec.path.rule, "invalid");
    const at: HubAt = { repo, requested: ctx.options.revision || ctx.options.branch || "main" };
    const access = hubAccess(ctx);
    const common = { hubUrl: access.hubUrl, accessToken: access.accessToken, fetch: access.fetch };
    try {
      const info = await modelInfo({ ...common, name: repo, revision: at.requested, additionalFields: ["sha"] });
      at.commit = info.sha || undefined;
      const revision = encodeURIComponent(at.commit ?? at.requested);
      const files: SourceFile[] = [];
      for await (const entry of listFiles({ ...common, repo: { type: "model", name: repo }, revision, recursive: true })) {
        if (entry.type !== "file") continue;
        const url = `${access.hubUrl}/${repo}/resolve/${revision}/${entry.path.split("/").map(encodeURIComponent).join("/")}`;
        const oid = entry.lfs?.oid?.toLowerCase();
        files.push({
          path: entry.path,
          size: entry.lfs?.size ?? entry.size,
          sha256: oid && SHA256.test(oid) ? oid : undefined,
          open: (opts) => openHubFile(url, access, entry.path, opts?.signal ?? ctx.signal),
        });
      }
      await ctx.log(`Hugging Face ${repo} at ${at.requested}${at.commit ? ` (commit ${at.commit})` : ""}: ${files.length} files.`);
      return { kind: "tree", files };
    } catch (error) {
      throw hubError(error, at, access);
    }
  },
};
