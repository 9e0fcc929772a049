import type { OpenApiAccess, OpenApiDocument, OpenApiOperation, OpenApiParameter, OpenApiResponse } from "@/lib/api/openapi/types";
import { cn } from "./ui/cn";
import { DocText, SchemaBlock } from "./api-reference-schema";

const methodTone: Record<string, string> = {
  get: "bg-sky-50 text-sky-700 ring-sky-200",
  post: "bg-emerald-50 text-emerald-700 ring-emerald-200",
  put: "bg-violet-50 text-violet-700 ring-violet-200",
  patch: "bg-amber-50 text-amber-800 ring-amber-200",
  delete: "bg-red-50 text-red-700 ring-red-200",
};

export function MethodBadge({ method }: { method: string }) {
  return (
    <span className={cn("inline-flex w-16 shrink-0 justify-center rounded px-1.5 py-0.5 font-mono text-[11px] font-semibold uppercase ring-1 ring-inset", methodTone[method] ?? "bg-zinc-100 text-zinc-700 ring-zinc-200")}>
      {method}
    </span>
  );
}

const roles = { read: "any member", write: "members, admins and owners (not viewers)", admin: "owners and admins" } as const;

/** Who may call, in words: the wrapper's rule as the document's `x-cairn-access` states it. */
function accessText(access: OpenApiAccess): string {
  if (access.kind === "public") return "No sign-in needed.";
  if (access.kind === "agent") return "Only the job's own token (`Authorization: Bearer`), as `cairn job agent` sends it.";
  const extra = [access.basic ? "HTTP Basic `email:password`" : null, access.jobs ? "a job's token, for the checkpoints its job attaches" : null].filter(Boolean);
  return `A session or an API token (\`Authorization: Bearer\`)${extra.length ? `, or ${extra.join(", or ")}` : ""}; ${roles[access.permission ?? "read"]}.`;
}

const statusTone = (status: string) =>
  status.startsWith("2") ? "text-emerald-700" : status.startsWith("3") ? "text-zinc-600" : status.startsWith("5") ? "text-red-700" : "text-amber-700";

function Parameters({ parameters }: { parameters: OpenApiParameter[] }) {
  return (
    <ul className="space-y-2">
      {parameters.map((p) => (
        <li key={`${p.in}-${p.name}`} className="text-sm">
          <div className="flex flex-wrap items-baseline gap-x-2">
            <code className="font-mono text-[13px] font-semibold break-all text-zinc-900">{p.name}</code>
            <span className="text-xs text-zinc-500">
              {p.in}
              {p.schema.type ? ` · ${Array.isArray(p.schema.type) ? p.schema.type.join(" | ") : p.schema.type}` : ""}
              {p.schema.enum ? ` · ${p.schema.enum.map((v) => JSON.stringify(v)).join(" | ")}` : ""}
              {p.schema.default !== undefined ? ` · default ${JSON.stringify(p.schema.default)}` : ""}
            </span>
            {p.required && <span className="text-[11px] font-medium text-amber-700">required</span>}
          </div>
          {p.description && (
            <p className="mt-0.5 text-zinc-600">
              <DocText text={p.description} />
            </p>
          )}
        </li>
      ))}
    </ul>
  );
}

function Heading({ children }: { children: string }) {
  return <h4 className="mb-2 text-xs font-semibold tracking-wide text-zinc-500 uppercase">{children}</h4>;
}

function Answer({ status, answer, schemas }: { status: string; answer: OpenApiResponse; schemas: OpenApiDocument["components"]["schemas"] }) {
  return (
    <li className="space-y-2">
      <p className="text-sm">
        <span className={cn("mr-2 font-mono font-semibold", statusTone(status))}>{status}</span>
        <DocText text={answer.description} />
      </p>
      {Object.entries(answer.content ?? {}).map(([type, media]) =>
        type === "application/json" && media.schema ? (
          <SchemaBlock key={type} schema={media.schema} schemas={schemas} />
        ) : (
          <p key={type} className="text-sm text-zinc-600">
            <code className="font-mono text-xs">{type}</code>
            {media.description && (
              <>
                {" — "}
                <DocText text={media.description} />
              </>
            )}
          </p>
        ),
      )}
      {answer.headers && (
        <ul className="space-y-0.5 text-xs text-zinc-600">
          {Object.entries(answer.headers).map(([name, header]) => (
            <li key={name}>
              <code className="font-mono font-semibold">{name}</code>: <DocText text={header.description} />
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}

/** One operation, folded to its method, path and summary; open, it shows who may call it, its inputs and its answers. */
export function ApiOperation({ path, method, op, doc }: { path: string; method: string; op: OpenApiOperation; doc: OpenApiDocument }) {
  const answers = Object.entries(op.responses);
  const success = answers.flatMap(([status, answer]) => ("$ref" in answer ? [] : [[status, answer] as const]));
  const errors = answers.flatMap(([status, answer]) => ("$ref" in answer ? [[status, answer.$ref.split("/").at(-1) ?? ""] as const] : []));
  const body = op.requestBody ? Object.entries(op.requestBody.content)[0] : undefined;
  return (
    <details id={op.operationId} className="group scroll-mt-20 rounded-lg border border-zinc-200 bg-white shadow-sm open:shadow">
      <summary className="flex cursor-pointer list-none flex-wrap items-center gap-x-3 gap-y-1 px-4 py-3 hover:bg-zinc-50">
        <MethodBadge method={method} />
        <code className="min-w-0 font-mono text-[13px] break-all text-zinc-900">{path}</code>
        <span className="w-full text-sm text-zinc-600 sm:ml-auto sm:w-auto sm:text-right">{op.summary}</span>
      </summary>
      <div className="space-y-5 border-t border-zinc-100 px-4 py-4">
        {op.description && (
          <p className="text-sm text-zinc-700">
            <DocText text={op.description} />
          </p>
        )}
        <div>
          <Heading>Access</Heading>
          <p className="text-sm text-zinc-700">
            <DocText text={accessText(op["x-cairn-access"])} />
          </p>
        </div>
        {op.parameters && (
          <div>
            <Heading>Parameters</Heading>
            <Parameters parameters={op.parameters} />
          </div>
        )}
        {body && (
          <div>
            <Heading>Request body</Heading>
            {body[0] === "application/json" && body[1].schema ? (
              <SchemaBlock schema={body[1].schema} schemas={doc.components.schemas} />
            ) : (
              <p className="text-sm text-zinc-600">
                <code className="font-mono text-xs">{body[0]}</code> — <DocText text={op.requestBody?.description ?? "raw bytes"} />
              </p>
            )}
          </div>
        )}
        <div>
          <Heading>Answers</Heading>
          <ul className="space-y-4">
            {success.map(([status, answer]) => (
              <Answer key={status} status={status} answer={answer} schemas={doc.components.schemas} />
            ))}
          </ul>
          {errors.length > 0 && (
            <p className="mt-3 text-xs text-zinc-500">
              Errors (the envelope):{" "}
              {errors.map(([status, name], i) => (
                <span key={status}>
                  {i > 0 && " · "}
                  <a href="#errors" className="font-mono text-amber-700 hover:underline" title={doc.components.responses[name]?.description}>
                    {status}
                  </a>
                </span>
              ))}
            </p>
          )}
        </div>
      </div>
    </details>
  );
}
