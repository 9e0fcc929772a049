import { azureSource } from "./azure";
import { datastoreSource } from "./datastore";
import { gcsSource } from "./gcs";
import { gitSource } from "./git";
import { huggingfaceSource } from "./huggingface";
import { kaggleSource } from "./kaggle";
import { s3Source, wasabiSource } from "./s3";
import type { SourceAdapter } from "./types";
import { webSource } from "./web";

/** Every source type this server can ingest from. Adding one is adding its file and a line here. */
const adapters: SourceAdapter[] = [
  s3Source,
  wasabiSource,
  gcsSource,
  azureSource,
  huggingfaceSource,
  gitSource,
  webSource,
  kaggleSource,
  datastoreSource,
];

export function sourceAdapter(type: string): SourceAdapter | undefined {
  return adapters.find((a) => a.type === type);
}

export function registeredSourceTypes(): string[] {
  return adapters.map((a) => a.type);
}
