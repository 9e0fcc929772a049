import { ApiError } from "@/lib/api/errors";
import type { OrgResponse, UpdateOrgBody } from "@/lib/api/schemas/accounts";
import type { Db } from "@/lib/db/client";
import { isUniqueViolation } from "@/lib/db/errors";
import { findOrgById, updateOrg as updateOrgRow } from "@/lib/db/queries/accounts";
import type { Org } from "@/lib/db/schema";
import type { Caller } from "./caller";

function present(org: Org, caller: Caller): OrgResponse {
  return {
    id: org.id,
    name: org.name,
    slug: org.slug,
    allowedEmailDomains: org.allowedEmailDomains,
    role: caller.role,
    createdAt: org.createdAt.toISOString(),
  };
}

/** The caller's current organization, with its slug (the namespace of Hugging Face repo ids). */
export async function currentOrg(db: Db, caller: Caller) {
  const org = await findOrgById(db, caller.orgId);
  if (!org) throw new ApiError("not_found", "This organization no longer exists. Sign in again.");
  return present(org, caller);
}

/** Renames the org, changes its slug or the email domains that join it through single sign-on. */
export async function updateCurrentOrg(db: Db, caller: Caller, input: UpdateOrgBody) {
  try {
    const org = await updateOrgRow(db, caller.orgId, input);
    if (!org) throw new ApiError("not_found", "This organization no longer exists. Sign in again.");
    return present(org, caller);
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new ApiError("conflict", `The slug ${input.slug} is taken by another organization. Choose another.`);
    }
    throw error;
  }
}
