import { parseJson } from "@/lib/api/parse";
import { createExportBody } from "@/lib/api/schemas/exports";
import { withAuth } from "@/lib/api/with-auth";
import { startExport } from "@/lib/export/service";

export const POST = withAuth<{ ref: string }>(
  async ({ request, params, db, caller }) => {
    const body = await parseJson(request, createExportBody);
    return Response.json(await startExport(db, caller, params.ref, body), { status: 202 });
  },
  { permission: "write" },
);
