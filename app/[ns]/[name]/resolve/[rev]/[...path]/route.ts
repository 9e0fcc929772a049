import { resolveFile } from "@/lib/hf-compat/resolve";
import { joinPath, withHub } from "@/lib/hf-compat/with-hub";

type Params = { ns: string; name: string; rev: string; path: string[] };

/**
 * Hugging Face Hub file downloads, `/{org-slug}/{checkpoint}/resolve/{rev}/{path}`: HEAD for the
 * metadata `hf_hub_download` checks first, GET (with Range) for the bytes. Only paths with
 * `resolve` as their third segment reach here; the console's pages have no such path.
 */
const handler = withHub<Params>(async ({ request, params, db, viewer }) =>
  resolveFile(db, viewer, { ns: params.ns, name: params.name, revision: params.rev, path: joinPath(params.path), request }),
);

export const GET = handler;
export const HEAD = handler;
