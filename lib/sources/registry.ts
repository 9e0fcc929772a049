import "server-only";
import { azureSource } from "./azure/adapter";
import { datastoreSource } from "./datastore/adapter";
import { gcsSource } from "./gcs/adapter";
import { gitSource } from "./git/adapter";
import { huggingfaceSource } from "./huggingface/adapter";
import { kaggleSource } from "./kaggle/adapter";
import { s3Source } from "./s3/adapter";
import { sourceSpecs, type RegisteredSourceType } from "./specs";
import type { SourceAdapter } from "./types";
import { wasabiSource } from "./wasabi/adapter";
import { webSource } from "./web/adapter";

/**
 * The server half of every type in `specs.ts`, keyed by type: a spec without its adapter here
 * does not compile. Adding a type is its folder, its spec's line in `specs.ts` and its line here.
 */
const adapters: Record<RegisteredSourceType, SourceAdapter> = {
  s3: s3Source,
  wasabi: wasabiSource,
  gcs: gcsSource,
  azure: azureSource,
  huggingface: huggingfaceSource,
  git: gitSource,
  web: webSource,
  kaggle: kaggleSource,
  datastore: datastoreSource,
};

export function sourceAdapter(type: string): SourceAdapter | undefined {
  return Object.hasOwn(adapters, type) ? adapters[type as RegisteredSourceType] : undefined;
}

/** The types the adapters say they are (a test holds them to the specs' list). */
export function registeredSourceTypes(): string[] {
  return Object.values(adapters).map((adapter) => adapter.type);
}

/** The probe of the adapter whose spec declares `provider`, when that adapter has one. */
export function connectionProbe(provider: string): SourceAdapter["probe"] {
  const owner = sourceSpecs.find((spec) => "connection" in spec && spec.connection.provider === provider);
  return owner ? adapters[owner.type].probe : undefined;
}
