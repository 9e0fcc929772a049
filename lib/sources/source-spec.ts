import { z } from "zod";

/*
 * The browser-safe half of a source type: what the create form, the connections page and the API
 * need to know about it, with no server imports. Each type's `spec.ts` exports one, and
 * `lib/sources/specs.ts` lists them all.
 */

/** A `sourceOptions` entry the create form asks for; the type's adapter reads the same key. */
export type SourceOptionField = {
  key: string;
  label: string;
  /** `url` for endpoints (the browser checks the form). */
  kind?: "text" | "url";
  placeholder?: string;
  hint?: string;
  /** A fixed set of values; the first, with value "", means "leave it to the server". */
  choices?: readonly { value: string; label: string }[];
};

/**
 * One input of a provider's connection form: `config` fields are stored as they are and shown in
 * the list; `secret` fields are encrypted at rest, typed into password inputs and never shown.
 */
export type ConnectionField = {
  group: "config" | "secret";
  key: string;
  label: string;
  kind?: "text" | "url" | "checkbox" | "multiline";
  placeholder?: string;
  hint?: string;
  required?: boolean;
};

type Shape<O> = O extends z.ZodObject<infer S> ? S : never;

/** A field whose key its group's zod schema really has, so a renamed schema key fails type checking. */
export type ConnectionFieldOf<C extends z.ZodObject, S extends z.ZodObject> = ConnectionField &
  ({ group: "config"; key: keyof Shape<C> & string } | { group: "secret"; key: keyof Shape<S> & string });

/**
 * The kind of storage connection a source type brings (a provider): its settings, its secrets and
 * the form that asks for them. Several source types may use one provider (Wasabi uses S3's); it is
 * declared by exactly one of them.
 */
export type ConnectionSpec<P extends string = string, C extends z.ZodObject = z.ZodObject, S extends z.ZodObject = z.ZodObject> = {
  provider: P;
  label: string;
  /** Non-secret settings; stored as they are and returned by the API. */
  config: C;
  /** Secrets; encrypted at rest and never returned. */
  secret: S;
  /** The form's inputs, in order. */
  fields: readonly ConnectionFieldOf<C, S>[];
};

/**
 * Everything about a source type that is not server code. Implementers: `path.check` must be pure
 * (the form runs it as the user types, the API before anything is stored); `providers` names the
 * connection providers whose credentials the adapter accepts (empty: it takes none).
 */
export type SourceSpec = {
  type: string;
  label: string;
  /** One line under the label in the create form. */
  description: string;
  path: { placeholder: string; rule: string; check(uri: string): boolean };
  providers: readonly string[];
  /** The provider this type declares, when it brings its own kind of connection. */
  connection?: ConnectionSpec;
  /** The `sourceOptions` the create form offers. */
  options?: readonly SourceOptionField[];
  /** Where the adapter and the connection probe go when nothing else names an endpoint. */
  defaultEndpoint?: string;
};

/**
 * Declares a source type's spec. Returns it as written (its literal type, its provider and which
 * optional parts it has), which the registry's types are derived from; unknown keys are refused.
 */
export function defineSourceSpec<const S extends SourceSpec>(spec: S & { [K in Exclude<keyof S, keyof SourceSpec>]: never }): S {
  return spec;
}

/** Declares a connection provider; the field keys are checked against the schemas. */
export function defineConnection<const P extends string, C extends z.ZodObject, S extends z.ZodObject>(spec: ConnectionSpec<P, C, S>): ConnectionSpec<P, C, S> {
  return spec;
}

/** Building blocks for connection schemas, so every provider words the same mistakes the same way. */
export const settings = {
  text: () => z.string().trim().max(2048).optional(),
  url: () => z.url({ protocol: /^https?$/, error: "Enter a full URL beginning with http:// or https://" }).optional(),
  required: (message: string) => z.string({ error: message }).min(1, message).max(65_536),
};

/** An `endpoint` source option, for stores that speak S3 at an address of the user's choosing. */
export const endpointOption: SourceOptionField = {
  key: "endpoint",
  label: "Endpoint",
  kind: "url",
  placeholder: "https://s3.example.com",
  hint: "For S3-compatible stores. Overrides the connection's endpoint.",
};
