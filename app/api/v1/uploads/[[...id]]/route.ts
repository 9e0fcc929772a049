import { withAuth } from "@/lib/api/with-auth";
import { handleTusRequest, tusServer } from "@/lib/uploads/tus";

type Params = { id?: string[] };

const tusRoute = withAuth<Params>(
  ({ request, params, db, caller }) => handleTusRequest(db, caller, request, params.id?.[0] ?? null),
  { permission: "write", allowJobs: true },
);

export const POST = tusRoute;
export const HEAD = tusRoute;
export const PATCH = tusRoute;
export const DELETE = tusRoute;
export const OPTIONS = (request: Request) => tusServer().handleWeb(request);
