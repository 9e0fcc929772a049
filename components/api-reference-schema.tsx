import type { ReactNode } from "react";
import type { JsonSchema } from "@/lib/api/openapi/types";

const SCHEMA_PREFIX = "#/components/schemas/";

export const schemaAnchor = (name: string) => `schema-${name}`;
const refName = (ref: string) => (ref.startsWith(SCHEMA_PREFIX) ? ref.slice(SCHEMA_PREFIX.length) : ref);

/** Text with `code` spans, as the document's descriptions write them. */
export function DocText({ text }: { text: string }) {
  return (
    <>
      {text.split(/(`[^`]+`)/).map((part, i) =>
        part.startsWith("`") && part.endsWith("`") && part.length > 2 ? (
          <code key={i} className="rounded bg-zinc-100 px-1 py-0.5 font-mono text-[0.85em] break-words text-zinc-800">
            {part.slice(1, -1)}
          </code>
        ) : (
          part
        ),
      )}
    </>
  );
}

const withoutNull = (options: JsonSchema[]) => options.filter((o) => o.type !== "null");
const isNullable = (schema: JsonSchema) =>
  (Array.isArray(schema.type) && schema.type.includes("null")) || (schema.anyOf ?? []).some((o) => o.type === "null");

/** A one-line name for a schema's type: `string`, `integer | null`, `array of Checkpoint`, `"ready" | "computing"`. */
function TypeLabel({ schema }: { schema: JsonSchema }): ReactNode {
  if (schema.$ref) {
    const name = refName(schema.$ref);
    return (
      <a href={`#${schemaAnchor(name)}`} className="font-medium text-accent-700 underline-offset-2 hover:underline">
        {name}
      </a>
    );
  }
  if (schema.const !== undefined) return <span>{JSON.stringify(schema.const)}</span>;
  if (schema.enum) return <span>{schema.enum.map((v) => JSON.stringify(v)).join(" | ")}</span>;
  const union = schema.anyOf ?? schema.oneOf;
  if (union) {
    return (
      <>
        {union.map((option, i) => (
          <span key={i}>
            {i > 0 && " | "}
            <TypeLabel schema={option} />
          </span>
        ))}
      </>
    );
  }
  if (schema.type === "array" || (Array.isArray(schema.type) && schema.type.includes("array"))) {
    return (
      <>
        array of {schema.items ? <TypeLabel schema={schema.items} /> : "anything"}
        {Array.isArray(schema.type) && schema.type.includes("null") ? " | null" : ""}
      </>
    );
  }
  if (typeof schema.additionalProperties === "object" && !schema.properties) {
    return (
      <>
        map of <TypeLabel schema={schema.additionalProperties} />
      </>
    );
  }
  if (Array.isArray(schema.type)) return <span>{schema.type.join(" | ")}</span>;
  return <span>{schema.type ?? "any"}</span>;
}

function constraints(schema: JsonSchema): string[] {
  const found: string[] = [];
  if (schema.minLength !== undefined || schema.maxLength !== undefined) found.push(`${schema.minLength ?? 0}–${schema.maxLength ?? "∞"} characters`);
  if (schema.minimum !== undefined || schema.maximum !== undefined) found.push(`${schema.minimum ?? "−∞"} to ${schema.maximum ?? "∞"}`);
  if (schema.exclusiveMinimum !== undefined) found.push(`above ${schema.exclusiveMinimum}`);
  if (schema.minItems !== undefined || schema.maxItems !== undefined) found.push(`${schema.minItems ?? 0}–${schema.maxItems ?? "∞"} items`);
  if (schema.format) found.push(schema.format);
  if (schema.default !== undefined) found.push(`default ${JSON.stringify(schema.default)}`);
  if (schema.additionalProperties === false) found.push("no other fields");
  return found;
}

/** The inline object a schema holds (itself, the non-null side of a nullable, or an array's items), if it has fields. */
function innerObject(schema: JsonSchema): JsonSchema | null {
  if (schema.$ref) return null;
  if (schema.properties) return schema;
  const options = withoutNull(schema.anyOf ?? []);
  if (options.length === 1 && options[0]) return innerObject(options[0]);
  if (schema.items) return innerObject(schema.items);
  return null;
}

/** The fields of an object schema, each with its type, whether it is required, its rules and its meaning; nested objects inside. */
export function SchemaFields({ schema, depth = 0 }: { schema: JsonSchema; depth?: number }) {
  const properties = Object.entries(schema.properties ?? {});
  if (properties.length === 0) {
    return (
      <p className="text-sm text-zinc-600">
        <TypeLabel schema={schema} />
        {schema.description && (
          <>
            {" — "}
            <DocText text={schema.description} />
          </>
        )}
      </p>
    );
  }
  const required = new Set(schema.required ?? []);
  return (
    <ul className={depth > 0 ? "mt-2 space-y-2 border-l border-zinc-200 pl-3" : "space-y-2"}>
      {properties.map(([name, field]) => {
        const nested = depth < 4 ? innerObject(field) : null;
        const rules = constraints(field);
        return (
          <li key={name} className="text-sm">
            <div className="flex flex-wrap items-baseline gap-x-2 gap-y-0.5">
              <code className="font-mono text-[13px] font-semibold break-all text-zinc-900">{name}</code>
              <span className="font-mono text-xs break-words text-zinc-500">
                <TypeLabel schema={field} />
                {isNullable(field) && !Array.isArray(field.type) && !field.anyOf ? " | null" : ""}
              </span>
              {required.has(name) ? <span className="text-[11px] font-medium text-amber-700">required</span> : <span className="text-[11px] text-zinc-400">optional</span>}
            </div>
            {field.description && (
              <p className="mt-0.5 text-zinc-600">
                <DocText text={field.description} />
              </p>
            )}
            {rules.length > 0 && <p className="mt-0.5 text-xs text-zinc-500">{rules.join(" · ")}</p>}
            {field.pattern && !field.format && (
              <p className="mt-0.5 text-xs text-zinc-500">
                pattern <code className="font-mono break-all">{field.pattern}</code>
              </p>
            )}
            {nested && <SchemaFields schema={nested} depth={depth + 1} />}
          </li>
        );
      })}
    </ul>
  );
}

/** A body or answer: the named schema it refers to, expanded one level (nested names link to the Schemas section). */
export function SchemaBlock({ schema, schemas }: { schema: JsonSchema; schemas: Record<string, JsonSchema> }) {
  const name = schema.$ref ? refName(schema.$ref) : null;
  const resolved = name ? schemas[name] : schema;
  return (
    <div className="rounded-md border border-zinc-200 bg-zinc-50/60 p-3">
      {name && (
        <p className="mb-2 font-mono text-xs text-zinc-500">
          <a href={`#${schemaAnchor(name)}`} className="font-semibold text-accent-700 hover:underline">
            {name}
          </a>
        </p>
      )}
      {resolved ? <SchemaFields schema={resolved} /> : <p className="text-sm text-zinc-500">Unknown schema.</p>}
    </div>
  );
}
