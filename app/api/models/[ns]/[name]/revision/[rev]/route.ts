import { modelInfo } from "@/lib/hf-compat/model-info";
import { parseModelInfoQuery } from "@/lib/hf-compat/schemas";
import { withHub } from "@/lib/hf-compat/with-hub";

type Params = { ns: string; name: string; rev: string };

/** Hugging Face Hub `model_info` at a revision: main, HEAD, the checkpoint id or its commit sha. */
export const GET = withHub<Params>(async ({ request, params, db, viewer }) =>
  Response.json(await modelInfo(db, viewer, { ns: params.ns, name: params.name, revision: params.rev }, parseModelInfoQuery(request))),
);
