import { config } from "@/lib/config";
import type { Db } from "@/lib/db/client";
import { listMembershipsOfUser } from "@/lib/db/queries/accounts";
import { orgUsage } from "@/lib/usage/service";
import type { Caller } from "./caller";
import type { MeResponse } from "@/lib/api/schemas/accounts";

/** The signed-in user, their organizations, the current one and its storage use. */
export async function describeCaller(db: Db, caller: Caller): Promise<MeResponse> {
  const orgs = await listMembershipsOfUser(db, { userId: caller.user.id });
  const usage = await orgUsage(db, { orgId: caller.orgId });
  return {
    user: { id: caller.user.id, email: caller.user.email, name: caller.user.name },
    // usageBytes: unique bytes (each blob once) plus uploads in flight, as the quota counts them.
    org: { id: caller.orgId, role: caller.role, usageBytes: usage.usedBytes, logicalBytes: usage.logicalBytes, quotaBytes: config().orgQuotaBytes },
    orgs: orgs.map((o) => ({ id: o.orgId, name: o.orgName, slug: o.orgSlug, role: o.role })),
  };
}
