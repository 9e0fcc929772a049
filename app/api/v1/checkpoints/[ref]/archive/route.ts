import { withAuth } from "@/lib/api/with-auth";
import { parseQuery } from "@/lib/api/parse";
import { archiveQuery } from "@/lib/api/schemas/exports";
import { downloadArchive } from "@/lib/export/archive";

type Params = { ref: string };

export const GET = withAuth<Params>(
  async ({ request, params, db, caller }) => {
    const { format } = parseQuery(request, archiveQuery);
    return downloadArchive(db, { orgId: caller.orgId, ref: params.ref, format });
  },
  { permission: "read" },
);
