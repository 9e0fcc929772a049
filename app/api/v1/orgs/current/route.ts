import { parseJson } from "@/lib/api/parse";
import { updateOrgBody } from "@/lib/api/schemas/accounts";
import { withAuth } from "@/lib/api/with-auth";
import { currentOrg, updateCurrentOrg } from "@/lib/auth/orgs";

export const GET = withAuth(async ({ db, caller }) => Response.json(await currentOrg(db, caller)), { permission: "read" });

export const PATCH = withAuth(
  async ({ request, db, caller }) => Response.json(await updateCurrentOrg(db, caller, await parseJson(request, updateOrgBody))),
  { permission: "admin" },
);
