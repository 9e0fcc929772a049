import { parseJson } from "@/lib/api/parse";
import { derivePreviewBody } from "@/lib/api/schemas/derive";
import { withAuth } from "@/lib/api/with-auth";
import { previewDerive } from "@/lib/checkpoints/derive";

/** What `POST …/derive` with the same body would keep and drop, and why; nothing is created. */
export const POST = withAuth<{ ref: string }>(
  async ({ request, params, db, caller }) => {
    const body = await parseJson(request, derivePreviewBody);
    return Response.json(await previewDerive(db, { orgId: caller.orgId, ref: params.ref }, body));
  },
  { permission: "read" },
);
