import { parseTreeQuery } from "@/lib/hf-compat/schemas";
import { listTree } from "@/lib/hf-compat/tree";
import { joinPath, withHub } from "@/lib/hf-compat/with-hub";

type Params = { ns: string; name: string; rev: string; path?: string[] };

/** Hugging Face Hub `list_repo_tree` / `listFiles`: one page, the next one named by a `Link` header. */
export const GET = withHub<Params>(async ({ request, params, db, viewer }) => {
  const target = { ns: params.ns, name: params.name, revision: params.rev, path: joinPath(params.path) };
  const { entries, next } = await listTree(db, viewer, target, parseTreeQuery(request), request);
  return Response.json(entries, next ? { headers: { link: `<${next}>; rel="next"` } } : undefined);
});
