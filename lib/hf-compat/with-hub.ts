import { randomUUID } from "node:crypto";
import { getDb, type Db } from "@/lib/db/client";
import { hubViewer, type HubViewer } from "./access";
import { toHubErrorResponse } from "./errors";

type RouteContext<P> = { params: Promise<P> };

export type HubHandlerArgs<P> = { request: Request; params: P; db: Db; viewer: HubViewer; requestId: string };

/**
 * What `withAuth` is for `/api/v1`, for the Hub-compatible endpoints: it finds the viewer (token,
 * session or nobody — these routes also serve public checkpoints without a token, when allowed),
 * sets the request id and answers every error the way the Hub does (`toHubErrorResponse`).
 */
export function withHub<P>(handler: (args: HubHandlerArgs<P>) => Promise<Response>) {
  return async (request: Request, context: RouteContext<P>): Promise<Response> => {
    const requestId = randomUUID();
    try {
      const db = await getDb();
      const viewer = await hubViewer(db, request);
      const response = await handler({ request, params: await context.params, db, viewer, requestId });
      response.headers.set("x-request-id", requestId);
      return response;
    } catch (error) {
      return toHubErrorResponse(error, requestId, request.method === "HEAD");
    }
  };
}

/** A route's path segments as one repo path (Next.js hands catch-all segments over decoded). */
export const joinPath = (segments: readonly string[] | undefined) => (segments ?? []).join("/");
