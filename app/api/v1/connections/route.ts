import { parseJson, parseQuery } from "@/lib/api/parse";
import { createConnectionBody, listConnectionsQuery } from "@/lib/api/schemas/connections";
import { withAuth } from "@/lib/api/with-auth";
import { connectionsOf, createConnection } from "@/lib/connections/service";

export const GET = withAuth(
  async ({ request, db, caller }) => {
    const { provider } = parseQuery(request, listConnectionsQuery);
    return Response.json(await connectionsOf(db, { orgId: caller.orgId, provider }));
  },
  { permission: "read" },
);

export const POST = withAuth(
  async ({ request, db, caller }) => {
    const body = await parseJson(request, createConnectionBody);
    return Response.json(await createConnection(db, caller, body), { status: 201 });
  },
  { permission: "write" },
);
