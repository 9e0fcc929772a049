import { modelInfo } from "@/lib/hf-compat/model-info";
import { parseModelInfoQuery } from "@/lib/hf-compat/schemas";
import { withHub } from "@/lib/hf-compat/with-hub";

type Params = { ns: string; name: string };

/** Hugging Face Hub `model_info` without a revision: the repo at main. */
export const GET = withHub<Params>(async ({ request, params, db, viewer }) =>
  Response.json(await modelInfo(db, viewer, { ns: params.ns, name: params.name, revision: "main" }, parseModelInfoQuery(request))),
);
