import { withAuth } from "@/lib/api/with-auth";
import { downloadFile } from "@/lib/checkpoints/download";
import { readableCheckpointOrg } from "@/lib/jobs/job-access";
import { storeFileFromBody } from "@/lib/uploads/store-file";

type Params = { ref: string; path: string[] };

export const GET = withAuth<Params>(
  async ({ request, params, db, caller }) =>
    downloadFile(db, { orgId: await readableCheckpointOrg(db, caller, params.ref), ref: params.ref, filePath: params.path.join("/"), request }),
  { permission: "read", allowJobs: true },
);

export const PUT = withAuth<Params>(
  async ({ request, params, db, caller }) => {
    const length = request.headers.get("content-length");
    const file = await storeFileFromBody(db, caller, {
      ref: params.ref,
      filePath: params.path.join("/"),
      body: request.body,
      contentLength: length === null ? null : Number(length),
    });
    return Response.json(file, { status: 201 });
  },
  { permission: "write", allowJobs: true },
);
