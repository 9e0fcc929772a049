import { withAuth } from "@/lib/api/with-auth";
import { downloadFile } from "@/lib/checkpoints/download";
import { readableCheckpointOrg } from "@/lib/jobs/job-access";
import { rawFilePath } from "@/lib/net/http-server";
import { requestChunks } from "@/lib/uploads/body-chunks";
import { assertFilePath, storeFileFromBody } from "@/lib/uploads/store-file";

type Params = { ref: string; path: string[] };

/**
 * The file path a request names: its decoded segments, joined. A path the URL parser would have
 * changed (`%2e%2e`, `..`, a backslash) comes as sent in a header the server sets, and is held to
 * the same rule first, so `…/files/%2e%2e/evil` answers 422 as `../evil` does.
 */
function requestedPath(request: Request, params: Params): string {
  const raw = rawFilePath(request);
  if (raw !== null) assertFilePath(raw);
  return params.path.join("/");
}

export const GET = withAuth<Params>(
  async ({ request, params, db, caller }) =>
    downloadFile(db, { orgId: await readableCheckpointOrg(db, caller, params.ref), ref: params.ref, filePath: requestedPath(request, params), request }),
  { permission: "read", allowJobs: true },
);

export const PUT = withAuth<Params>(
  async ({ request, params, db, caller }) => {
    const length = request.headers.get("content-length");
    const file = await storeFileFromBody(db, caller, {
      ref: params.ref,
      filePath: requestedPath(request, params),
      body: requestChunks(request),
      contentLength: length === null ? null : Number(length),
    });
    return Response.json(file, { status: 201 });
  },
  { permission: "write", allowJobs: true },
);
