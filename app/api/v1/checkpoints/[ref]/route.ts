import { parseJson, parseQuery } from "@/lib/api/parse";
import { getCheckpointQuery, patchCheckpointBody } from "@/lib/api/schemas/checkpoints";
import { withAuth } from "@/lib/api/with-auth";
import { checkpointYaml } from "@/lib/checkpoints/present";
import { deleteCheckpoint } from "@/lib/checkpoints/delete";
import { getCheckpointDetail, patchCheckpoint } from "@/lib/checkpoints/service";

type Params = { ref: string };

export const GET = withAuth<Params>(
  async ({ request, params, db, caller }) => {
    const { format } = parseQuery(request, getCheckpointQuery);
    const checkpoint = await getCheckpointDetail(db, { orgId: caller.orgId, ref: params.ref });
    if (format === "yaml") {
      return new Response(checkpointYaml(checkpoint), { headers: { "content-type": "application/yaml; charset=utf-8" } });
    }
    return Response.json(checkpoint);
  },
  { permission: "read" },
);

export const PATCH = withAuth<Params>(
  async ({ request, params, db, caller }) => {
    const body = await parseJson(request, patchCheckpointBody);
    return Response.json(await patchCheckpoint(db, caller, params.ref, body));
  },
  { permission: "write" },
);

export const DELETE = withAuth<Params>(
  async ({ params, db, caller }) => {
    await deleteCheckpoint(db, { orgId: caller.orgId, ref: params.ref, actor: { kind: "user", id: caller.user.id, name: caller.user.email } });
    return new Response(null, { status: 204 });
  },
  { permission: "write" },
);
