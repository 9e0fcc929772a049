import { ApiClient, seg } from "./client";
import { CliError } from "./config";
import type { ConnectionResponse as Connection } from "@/lib/api/schemas/connections";

type SourceOptions = { storageProvider?: string; sourcePath?: string; sourceType?: string; sourceUri?: string };
export type RemoteSource = { sourceType: string; sourceUri?: string; connection?: string };

const schemeOf: Record<string, string> = { s3: "s3://", wasabi: "s3://", gcs: "gs://" };

/** `bucket/prefix/` as the URI a source type expects; URIs that already have a scheme pass through. */
export function sourceUriFor(sourceType: string, sourcePath: string, connection?: Pick<Connection, "config">): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(sourcePath)) return sourcePath;
  const trimmed = sourcePath.replace(/^\/+/, "");
  if (schemeOf[sourceType]) return `${schemeOf[sourceType]}${trimmed}`;
  if (sourceType === "azure") {
    const endpoint = connection?.config.endpoint;
    const account = connection?.config.accountName;
    const base = typeof endpoint === "string" ? endpoint.replace(/\/+$/, "") : typeof account === "string" ? `https://${account}.blob.core.windows.net` : null;
    if (!base) throw new CliError("An Azure --source-path needs a connection with an accountName or endpoint, or a full https:// URI.");
    return `${base}/${trimmed}`;
  }
  return sourcePath;
}

/** The `POST /checkpoints` fields for `--storage-provider/--source-path` or `--source-type/--source-uri`. */
export async function remoteSource(client: ApiClient, options: SourceOptions): Promise<RemoteSource> {
  const path = options.sourcePath ?? options.sourceUri;
  if (!options.storageProvider) {
    if (!options.sourceType) throw new CliError("Give --source-type with --source-uri (or --storage-provider with --source-path).");
    return { sourceType: options.sourceType, sourceUri: path };
  }
  if (!path) throw new CliError("Give --source-path: the path inside the storage connection, e.g. my-bucket/ckpts/.");
  const connection = await client.get<Connection>(`/connections/${seg(options.storageProvider)}`);
  const sourceType = options.sourceType ?? connection.provider;
  return { sourceType, sourceUri: sourceUriFor(sourceType, path, connection), connection: connection.name };
}
