import "server-only";
import net from "node:net";
import { Readable } from "node:stream";
import {
  AnonymousCredential,
  ContainerClient,
  newPipeline,
  StorageSharedKeyCredential,
  type BlobItem,
  type RequestPolicyFactory,
} from "@azure/storage-blob";
import { guardedAgents } from "@/lib/net/agents";
import { cloudProblems, toSourceError, treePath } from "../cloud-errors";
import { objectReader, type RangedTuning } from "../ranged-stream";
import { PermanentSourceError, type SourceAdapter, type SourceContext, type SourceFile, type SourceListing } from "../types";
import { azureSpec } from "./spec";

/** Knobs for tests and tuning; the defaults suit production. */
export type AzureSourceOptions = {
  /** Blobs per listing page (the service's default and maximum is 5000). */
  pageSize?: number;
  ranged?: Partial<RangedTuning>;
};

/** What an Azure path names: the container's URL, the blob name or prefix inside it, and the account. */
type AzureTarget = { url: URL; containerUrl: string; account: string; container: string; name: string };

const CONTAINER_NAME = /^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$/;
// Azurite's published development account (learn.microsoft.com/azure/storage/common/storage-use-azurite).
const DEV_ACCOUNT = "devstoreaccount1";
const DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

function str(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() ? value.trim() : undefined;
}

/**
 * Parses both URL forms: host-style (`https://<account>.blob.core.windows.net/<container>/…`) and
 * path-style (`http://127.0.0.1:10000/<account>/<container>/…`, as Azurite and IP endpoints
 * serve it, or any URL under the connection's `endpoint`).
 */
export function parseAzureUri(uri: string, endpoint?: string): AzureTarget {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw cloudProblems.badPath(uri, azureSpec.path.rule);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw cloudProblems.badPath(uri, azureSpec.path.rule);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const segments = url.pathname.split("/").slice(1);
  const base = endpoint?.replace(/\/+$/, "");
  let origin = url.origin;
  let account: string | undefined;
  if (base && `${url.origin}${url.pathname}`.startsWith(`${base}/`)) {
    origin = base;
    const baseSegments = new URL(base).pathname.split("/").filter(Boolean);
    segments.splice(0, baseSegments.length);
    account = baseSegments.at(-1) ?? url.hostname.split(".")[0];
  } else if (net.isIP(host) || host === "localhost") {
    account = segments.shift();
    origin = `${url.origin}/${account ?? ""}`;
  } else {
    account = url.hostname.split(".")[0];
  }
  const container = segments.shift() ?? "";
  if (!account || !CONTAINER_NAME.test(container)) throw cloudProblems.badPath(uri, azureSpec.path.rule);
  return { url, containerUrl: `${origin}/${container}`, account, container, name: decodeURIComponent(segments.join("/")) };
}

/** Splits `Key=value;…`; values (keys, signatures) may themselves contain `=`. */
export function parseConnectionString(raw: string | undefined): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const part of (raw ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at > 0) fields[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  if (fields.UseDevelopmentStorage === "true") return { AccountName: DEV_ACCOUNT, AccountKey: DEV_KEY, ...fields };
  return fields;
}

/** The container client for a path and connection, its sockets behind the address guard (also used by exports). */
export function containerFor(target: AzureTarget, ctx: SourceContext): { container: ContainerClient; anonymous: boolean } {
  const connection = ctx.connection;
  const secret = connection?.secret ?? {};
  const fields = parseConnectionString(secret.connectionString);
  const accountKey = str(secret.accountKey) ?? fields.AccountKey;
  // A SAS pasted into the path itself is ignored: the path is shown to everyone, secrets belong in connections.
  const sas = (str(secret.sasToken) ?? fields.SharedAccessSignature)?.replace(/^\?/, "");
  const accountName = str(connection?.config.accountName) ?? fields.AccountName ?? target.account;
  const credential = accountKey ? new StorageSharedKeyCredential(accountName, accountKey) : new AnonymousCredential();
  const pipeline = newPipeline(credential, { retryOptions: { maxTries: 4 }, keepAliveOptions: { enable: true } });
  const agent = target.url.protocol === "http:" ? guardedAgents().http : guardedAgents().https;
  // The supported way to give storage-blob our own socket agent: a request policy setting it on
  // every request (the compat layer passes `agent` through to core-rest-pipeline's Node client).
  const guard: RequestPolicyFactory = {
    create: (next) => ({
      sendRequest(request) {
        request.agent = agent;
        return next.sendRequest(request);
      },
    }),
  };
  pipeline.factories.push(guard);
  const url = !accountKey && sas ? `${target.containerUrl}?${sas}` : target.containerUrl;
  return { container: new ContainerClient(url, pipeline), anonymous: !accountKey && !sas };
}

function classify(uri: string, container: string, anonymous: boolean) {
  return (error: unknown): PermanentSourceError | null => {
    const { statusCode, code } = (error ?? {}) as { statusCode?: number; code?: string };
    const privateHint = anonymous ? " If the container is private, choose a connection with its credentials." : "";
    switch (code) {
      case "ContainerNotFound":
        return new PermanentSourceError(`${cloudProblems.containerNotFound("container", container, uri).message}${privateHint}`, "not_found");
      case "BlobNotFound":
      case "ResourceNotFound":
        return new PermanentSourceError(`${cloudProblems.notFound(uri).message}${privateHint}`, "not_found");
      case "AuthenticationFailed":
      case "InvalidAuthenticationInfo":
        return cloudProblems.badCredentials(uri, "the account key or SAS token was not accepted");
    }
    if (statusCode === 404) return new PermanentSourceError(`${cloudProblems.notFound(uri).message}${privateHint}`, "not_found");
    if (statusCode === 403 || statusCode === 401) return cloudProblems.accessDenied(uri, "the container's access policy");
    return null;
  };
}

function isFolderMarker(blob: BlobItem): boolean {
  // Accounts with a hierarchical namespace list their directories as empty blobs tagged so.
  return blob.metadata?.hdi_isfolder === "true";
}

/**
 * An Azure Blob Storage source: a path ending in `/` lists every blob below the prefix, any
 * other names one blob. Credentials: account key, SAS token or connection string; anonymous for
 * public containers.
 */
export function createAzureSource(options: AzureSourceOptions = {}): SourceAdapter {
  function blobFile(container: ContainerClient, uriBase: string, path: string, name: string, size: number, etag: string | undefined, anonymous: boolean): SourceFile {
    const uri = `${uriBase}/${name}`;
    const blob = container.getBlobClient(name);
    const get = async (offset: number, count: number | undefined, signal: AbortSignal | undefined): Promise<Readable> => {
      try {
        // If-Match keeps every range (and the SDK's own resume after a broken body) on the listed version.
        const response = await blob.download(offset, count, { abortSignal: signal, conditions: etag ? { ifMatch: etag } : undefined, maxRetryRequests: 5 });
        const body = response.readableStreamBody;
        if (!body) throw new Error(`The service sent no body for ${uri}.`);
        return body instanceof Readable ? body : Readable.from(body);
      } catch (error) {
        throw toSourceError(error, classify(uri, container.containerName, anonymous));
      }
    };
    return {
      path,
      size,
      ...objectReader({
        size,
        tuning: options.ranged,
        fetchWhole: (s) => get(0, undefined, s),
        fetchRange: (start, end, s) => get(start, end - start + 1, s),
      }),
    };
  }

  async function listTree(container: ContainerClient, target: AzureTarget, anonymous: boolean, ctx: SourceContext): Promise<SourceListing> {
    const uriBase = target.containerUrl;
    const uri = `${uriBase}/${target.name}`;
    const files: SourceFile[] = [];
    const pages = container.listBlobsFlat({ prefix: target.name || undefined, includeMetadata: true, abortSignal: ctx.signal }).byPage({ maxPageSize: options.pageSize });
    for await (const page of pages) {
      for (const item of page.segment.blobItems) {
        const path = isFolderMarker(item) ? null : treePath(item.name, target.name, uri);
        if (path !== null) files.push(blobFile(container, uriBase, path, item.name, item.properties.contentLength ?? 0, item.properties.etag, anonymous));
      }
    }
    if (files.length === 0) throw cloudProblems.nothingFound(uri);
    await ctx.log(`Found ${files.length} blob${files.length === 1 ? "" : "s"} under ${uri}.`);
    return { kind: "tree", files };
  }

  async function statSingle(container: ContainerClient, target: AzureTarget, anonymous: boolean, ctx: SourceContext): Promise<SourceListing> {
    const uriBase = target.containerUrl;
    const uri = `${uriBase}/${target.name}`;
    try {
      const properties = await container.getBlobClient(target.name).getProperties({ abortSignal: ctx.signal });
      const base = target.name.slice(target.name.lastIndexOf("/") + 1);
      return { kind: "single", name: base, file: blobFile(container, uriBase, base, target.name, properties.contentLength ?? 0, properties.etag, anonymous) };
    } catch (error) {
      const mapped = toSourceError(error, classify(uri, target.container, anonymous));
      if (mapped instanceof PermanentSourceError && mapped.reason === "not_found") {
        // A folder named without its trailing slash is the likeliest slip; say so when it is one.
        const probe = await container
          .listBlobsFlat({ prefix: `${target.name}/`, abortSignal: ctx.signal })
          .byPage({ maxPageSize: 1 })
          .next()
          .catch(() => null);
        if (probe && !probe.done && probe.value.segment.blobItems.length > 0) {
          throw new PermanentSourceError(`${cloudProblems.notFound(uri).message} To import the folder, end the path with a slash: ${uri}/`, "not_found");
        }
      }
      throw mapped;
    }
  }

  return {
    type: azureSpec.type,
    async list(ctx) {
      const connection = ctx.connection;
      if (connection && connection.provider !== azureSpec.connection.provider) {
        throw new PermanentSourceError(`The connection "${connection.name}" holds ${connection.provider} credentials; choose an Azure connection.`, "invalid");
      }
      const target = parseAzureUri(ctx.uri, str(connection?.config.endpoint));
      const { container, anonymous } = containerFor(target, ctx);
      try {
        return target.name === "" || target.name.endsWith("/")
          ? await listTree(container, target, anonymous, ctx)
          : await statSingle(container, target, anonymous, ctx);
      } catch (error) {
        throw toSourceError(error, classify(ctx.uri, target.container, anonymous));
      }
    },
  };
}

/** Azure Blob Storage with the production defaults. */
export const azureSource = createAzureSource();
