import type { OpenApiDocument } from "@/lib/api/openapi/types";
import { ApiOperation } from "./api-reference-operation";
import { DocText, SchemaBlock, schemaAnchor } from "./api-reference-schema";

const tagAnchor = (tag: string) => `tag-${tag.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;

/** The operations of one tag, in the document's order. */
function operationsOf(doc: OpenApiDocument, tag: string) {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods)
      .filter(([, op]) => op.tags.includes(tag))
      .map(([method, op]) => ({ path, method, op })),
  );
}

/** The API reference: rendered on the server from the OpenAPI document, grouped by tag, every schema once at the end. */
export function ApiReference({ doc }: { doc: OpenApiDocument }) {
  // The status each error answer is used for, from the operations that refer to it.
  const statusOf = new Map<string, string>();
  for (const methods of Object.values(doc.paths)) {
    for (const op of Object.values(methods)) {
      for (const [status, answer] of Object.entries(op.responses)) if ("$ref" in answer) statusOf.set(answer.$ref.split("/").at(-1) ?? "", status);
    }
  }
  const errorEntries = Object.entries(doc.components.responses);
  return (
    <div className="space-y-10">
      <section className="space-y-3 rounded-lg border border-zinc-200 bg-white p-5 shadow-sm" aria-labelledby="api-use-heading">
        <h2 id="api-use-heading" className="text-sm font-semibold text-zinc-900">
          Using the API
        </h2>
        <p className="text-sm text-zinc-700">
          <DocText text={doc.info.description} />
        </p>
        <p className="text-sm text-zinc-700">
          <DocText text="Create a token on the Tokens page and send it as `Authorization: Bearer <token>`. Client generators take the document itself:" />{" "}
          <a href="/api/v1/openapi.json" className="font-mono text-sm font-medium break-all text-accent-700 hover:underline">
            /api/v1/openapi.json
          </a>
        </p>
        <pre className="overflow-x-auto rounded-md bg-zinc-900 p-3 font-mono text-xs text-zinc-100">
          {`curl -H "Authorization: Bearer $CAIRN_TOKEN" "$CAIRN_URL/api/v1/checkpoints?limit=5"`}
        </pre>
        <nav aria-label="API areas">
          <ul className="flex flex-wrap gap-2">
            {doc.tags.map((tag) => (
              <li key={tag.name}>
                <a href={`#${tagAnchor(tag.name)}`} className="inline-block rounded-full bg-zinc-100 px-2.5 py-1 text-xs font-medium text-zinc-700 hover:bg-zinc-200">
                  {tag.name}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </section>

      {doc.tags.map((tag) => (
        <section key={tag.name} id={tagAnchor(tag.name)} aria-labelledby={`${tagAnchor(tag.name)}-heading`} className="scroll-mt-20 space-y-3">
          <div>
            <h2 id={`${tagAnchor(tag.name)}-heading`} className="text-lg font-semibold tracking-tight text-zinc-900">
              {tag.name}
            </h2>
            <p className="mt-1 text-sm text-zinc-600">
              <DocText text={tag.description} />
            </p>
          </div>
          <div className="space-y-2">
            {operationsOf(doc, tag.name).map(({ path, method, op }) => (
              <ApiOperation key={`${method} ${path}`} path={path} method={method} op={op} doc={doc} />
            ))}
          </div>
        </section>
      ))}

      <section id="errors" aria-labelledby="errors-heading" className="scroll-mt-20 space-y-3">
        <h2 id="errors-heading" className="text-lg font-semibold tracking-tight text-zinc-900">
          Errors
        </h2>
        <p className="text-sm text-zinc-600">
          <DocText text="Every non-2xx answer is `{error: {code, message, details?}}`: branch on `code`, show `message`." />
        </p>
        <ul className="divide-y divide-zinc-100 rounded-lg border border-zinc-200 bg-white text-sm shadow-sm">
          {errorEntries.map(([name, answer]) => (
            <li key={name} className="flex flex-col gap-1 px-4 py-2 sm:flex-row sm:gap-4">
              <span className="w-52 shrink-0 font-mono text-xs font-semibold text-zinc-800">
                <span className="text-amber-700">{statusOf.get(name)}</span> {name}
              </span>
              <span className="text-zinc-600">
                <DocText text={answer.description} />
              </span>
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="schemas-heading" className="space-y-3">
        <h2 id="schemas-heading" className="text-lg font-semibold tracking-tight text-zinc-900">
          Schemas
        </h2>
        <div className="grid gap-3 lg:grid-cols-2">
          {Object.keys(doc.components.schemas)
            .sort()
            .map((name) => (
              <div key={name} id={schemaAnchor(name)} className="min-w-0 scroll-mt-20">
                <SchemaBlock schema={{ $ref: `#/components/schemas/${name}` }} schemas={doc.components.schemas} />
              </div>
            ))}
        </div>
      </section>
    </div>
  );
}
