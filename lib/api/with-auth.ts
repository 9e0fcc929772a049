import { randomUUID } from "node:crypto";
import { resolveCaller, type Caller } from "@/lib/auth/caller";
import { can, type Permission } from "@/lib/auth/permissions";
import { getDb, type Db } from "@/lib/db/client";
import { ApiError, toErrorResponse } from "./errors";

type RouteContext<P> = { params: Promise<P> };

export type HandlerArgs<P> = {
  request: Request;
  params: P;
  db: Db;
  caller: Caller;
  requestId: string;
};

export const JOB_TOKEN_SCOPE = "A job token opens only its own job's agent endpoints and the checkpoints the job attaches.";

const permissionMessage: Record<Permission, string> = {
  read: "You are not a member of this organization.",
  write: "Your role in this organization is read-only. Ask an owner or admin for the member role.",
  admin: "Only owners and admins of this organization can do this.",
};

/**
 * Every `/api/v1` handler goes through here: it authenticates (session, token or Basic),
 * resolves the org, checks the permission and turns any error into the API envelope.
 */
export function withAuth<P = Record<string, never>>(
  handler: (args: HandlerArgs<P>) => Promise<Response>,
  options: { permission: Permission; allowBasic?: boolean; allowJobs?: boolean },
) {
  return async (request: Request, context: RouteContext<P>): Promise<Response> => {
    const requestId = randomUUID();
    try {
      const db = await getDb();
      const caller = await resolveCaller(db, request, { allowBasic: options.allowBasic });
      // A job token is refused everywhere but the routes that check what it may reach themselves.
      if (caller.job && !options.allowJobs) throw new ApiError("forbidden", JOB_TOKEN_SCOPE);
      if (!can(caller.role, options.permission)) throw new ApiError("forbidden", permissionMessage[options.permission]);
      const params = context?.params ? await context.params : ({} as P);
      const response = await handler({ request, params, db, caller, requestId });
      response.headers.set("x-request-id", requestId);
      return response;
    } catch (error) {
      return toErrorResponse(error, requestId);
    }
  };
}

/** The same envelope and request id for the few routes that need no sign-in. */
export function withPublic<P = Record<string, never>>(
  handler: (args: { request: Request; params: P; db: Db; requestId: string }) => Promise<Response>,
) {
  return async (request: Request, context: RouteContext<P>): Promise<Response> => {
    const requestId = randomUUID();
    try {
      const db = await getDb();
      const params = context?.params ? await context.params : ({} as P);
      return await handler({ request, params, db, requestId });
    } catch (error) {
      return toErrorResponse(error, requestId);
    }
  };
}
