import { parseQuery } from "@/lib/api/parse";
import { storageQuery } from "@/lib/api/schemas/storage";
import { withAuth } from "@/lib/api/with-auth";
import { storageOverview } from "@/lib/usage/service";

export const GET = withAuth(
  async ({ request, db, caller }) => {
    const { limit } = parseQuery(request, storageQuery);
    return Response.json(await storageOverview(db, { orgId: caller.orgId, limit }));
  },
  { permission: "read" },
);
