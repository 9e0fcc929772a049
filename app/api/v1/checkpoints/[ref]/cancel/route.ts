import { withAuth } from "@/lib/api/with-auth";
import { cancelCheckpoint } from "@/lib/checkpoints/service";

type Params = { ref: string };

/** Stops the ingest of a queued, downloading or extracting checkpoint; answers it, `failed` with who cancelled. */
export const POST = withAuth<Params>(
  async ({ params, db, caller }) => Response.json(await cancelCheckpoint(db, caller, params.ref)),
  { permission: "write" },
);
