import { parseJson } from "@/lib/api/parse";
import { deriveCheckpointBody } from "@/lib/api/schemas/derive";
import { withAuth } from "@/lib/api/with-auth";
import { deriveCheckpoint } from "@/lib/checkpoints/derive";

/** A new, ready checkpoint of some of this one's files, sharing their blobs (lib/checkpoints/derive.ts). */
export const POST = withAuth<{ ref: string }>(
  async ({ request, params, db, caller }) => {
    const body = await parseJson(request, deriveCheckpointBody);
    return Response.json(await deriveCheckpoint(db, caller, params.ref, body), { status: 201 });
  },
  { permission: "write" },
);
