import { azureSpec } from "./azure/spec";
import { datastoreSpec } from "./datastore/spec";
import { gcsSpec } from "./gcs/spec";
import { gitSpec } from "./git/spec";
import { huggingfaceSpec } from "./huggingface/spec";
import { kaggleSpec } from "./kaggle/spec";
import { s3Spec } from "./s3/spec";
import type { ConnectionSpec, SourceSpec } from "./source-spec";
import { wasabiSpec } from "./wasabi/spec";
import { webSpec } from "./web/spec";

export type { ConnectionField, ConnectionSpec, SourceOptionField, SourceSpec } from "./source-spec";

/**
 * Every source type an adapter can ingest from, browser-safe (the server half is registered in
 * `registry.ts`, which the compiler holds to this list). Adding a type is its folder and a line
 * here; the order is the create form's.
 */
export const sourceSpecs = [s3Spec, wasabiSpec, gcsSpec, azureSpec, huggingfaceSpec, gitSpec, webSpec, kaggleSpec, datastoreSpec] as const;

type Specs = (typeof sourceSpecs)[number];
export type RegisteredSourceType = Specs["type"];
type Connections = Extract<Specs, { connection: ConnectionSpec }>["connection"];
/** A kind of storage connection, declared by the source type that brings it. */
export type Provider = Connections["provider"];
export type ConnectionOf<P extends Provider> = Extract<Connections, { provider: P }>;

export const sourceSpecTypes: readonly RegisteredSourceType[] = sourceSpecs.map((spec) => spec.type);

export function sourceSpec(type: string): SourceSpec | undefined {
  return sourceSpecs.find((spec) => spec.type === type);
}

/** The rule's sentence when the path breaks it, or null (types without a path rule have none). */
export function sourcePathProblem(type: string, uri: string | undefined): string | null {
  const spec = sourceSpec(type);
  if (!spec) return null;
  if (!uri) return `Enter a path. ${spec.path.rule}`;
  return spec.path.check(uri) ? null : spec.path.rule;
}

/** Connection providers whose credentials fit a source type; empty when the type takes no connection. */
export function connectionProvidersFor(type: string): readonly string[] {
  return sourceSpec(type)?.providers ?? [];
}

/** Every provider, in the order of the types that declare them. */
export const connectionSpecs: readonly Connections[] = sourceSpecs.flatMap((spec): Connections[] => ("connection" in spec ? [spec.connection] : []));

export const providers = connectionSpecs.map((c) => c.provider) as [Provider, ...Provider[]];

export function connectionSpec(provider: string): ConnectionSpec | undefined {
  return connectionSpecs.find((c) => c.provider === provider);
}
