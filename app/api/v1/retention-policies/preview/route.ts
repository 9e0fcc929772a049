import { parseJson } from "@/lib/api/parse";
import { retentionRuleBody } from "@/lib/api/schemas/retention";
import { withAuth } from "@/lib/api/with-auth";
import { previewRule } from "@/lib/retention/service";

/** The preview of a policy not saved yet: the form shows what it would delete before it is saved. */
export const POST = withAuth(
  async ({ request, db, caller }) => {
    const body = await parseJson(request, retentionRuleBody);
    return Response.json(await previewRule(db, { orgId: caller.orgId }, body));
  },
  { permission: "read" },
);
