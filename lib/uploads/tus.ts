import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import path from "node:path";
import { MemoryLocker, Server, type Upload } from "@tus/server";
import { ApiError, notFound, type ErrorBody } from "@/lib/api/errors";
import { isUuid } from "@/lib/api/schemas/common";
import type { Caller } from "@/lib/auth/caller";
import { assertFits, uploadBudget, type Budget } from "@/lib/checkpoints/limits";
import { notWritable } from "@/lib/checkpoints/service";
import { config } from "@/lib/config";
import type { Db } from "@/lib/db/client";
import { findCheckpoint } from "@/lib/db/queries/checkpoints";
import { deleteUpload, findUpload, findUploadById, insertUpload, markUploadDone } from "@/lib/db/queries/uploads";
import { getBlobStore } from "@/lib/storage";
import { assertWritableByCaller } from "@/lib/jobs/job-access";
import { HashingFileStore } from "./hashing-file-store";
import { assertFilePath, attachBlob } from "./store-file";
import { handleTusPatch, LOCK_DRAIN_MS } from "./tus-patch";

export const TUS_PATH = "/api/v1/uploads";

type RequestContext = { db: Db; caller: Caller; budget?: Budget };
// Lives beside the cached tus server on globalThis: after a dev hot reload the server's hooks
// must still see the context this module's requests run in.
const globalForContext = globalThis as unknown as { cairnTusContext?: AsyncLocalStorage<RequestContext> };
const requestContext = (globalForContext.cairnTusContext ??= new AsyncLocalStorage<RequestContext>());

function current(): RequestContext {
  const ctx = requestContext.getStore();
  if (!ctx) throw new Error("tus hook called outside a request");
  return ctx;
}

/** tus answers hook errors with `status_code` and `body`; ours carry the API envelope. */
function asTusError(error: unknown) {
  if (!(error instanceof ApiError)) return error;
  const body: ErrorBody = { error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) } };
  return { status_code: error.status, body: JSON.stringify(body) };
}

function uploadsDir(): string {
  return path.join(config().dataDir, "uploads");
}

async function onUploadCreate(_req: Request, upload: Upload) {
  const { db, caller } = current();
  try {
    const checkpointId = upload.metadata?.checkpointId ?? "";
    const filePath = upload.metadata?.path ?? upload.metadata?.relativePath ?? upload.metadata?.filename ?? "";
    const checkpoint = isUuid(checkpointId) ? await findCheckpoint(db, { orgId: caller.orgId, id: checkpointId }) : null;
    if (!checkpoint) throw notFound(`Checkpoint '${checkpointId}'`);
    assertWritableByCaller(caller, checkpoint);
    if (checkpoint.status !== "uploading") throw notWritable(checkpoint);
    assertFilePath(filePath);
    if (upload.size !== undefined) await assertFits(db, checkpoint, upload.size);
    await insertUpload(db, {
      id: upload.id,
      orgId: caller.orgId,
      checkpointId: checkpoint.id,
      path: filePath,
      declaredSize: upload.size ?? null,
    });
    return {};
  } catch (error) {
    throw asTusError(error);
  }
}

async function onUploadFinish(_req: Request, upload: Upload) {
  const { db, caller } = current();
  const store = tusDataStore();
  try {
    const row = await findUpload(db, { orgId: caller.orgId, id: upload.id });
    const checkpoint = row ? await findCheckpoint(db, { orgId: caller.orgId, id: row.checkpointId }) : null;
    if (!row || !checkpoint) throw notFound("Upload");
    const file = path.join(uploadsDir(), upload.id);
    const blob = await getBlobStore().putFile(file, { sha256: store.takeDigest(upload.id, upload.offset) ?? undefined });
    await attachBlob(db, checkpoint, row.path, blob);
    await markUploadDone(db, { id: upload.id });
    await rm(`${file}.json`, { force: true });
    return {};
  } catch (error) {
    throw asTusError(error);
  }
}

/** The largest total size this upload may reach: its declared length, or what the budget allows. */
async function maxSize(_req: Request, uploadId: string | null): Promise<number> {
  if (!uploadId) return Number.MAX_SAFE_INTEGER;
  const ctx = current();
  const row = await findUploadById(ctx.db, uploadId);
  const checkpoint = row ? await findCheckpoint(ctx.db, { orgId: row.orgId, id: row.checkpointId }) : null;
  if (!row || !checkpoint) return Number.MAX_SAFE_INTEGER;
  if (row.declaredSize !== null) return row.declaredSize;
  ctx.budget = await uploadBudget(ctx.db, checkpoint);
  const { offset } = await tusDataStore().getUpload(uploadId);
  return offset + ctx.budget.maxBytes;
}

type Tus = { server: Server; store: HashingFileStore; locker: MemoryLocker; dir: string };
const globalForTus = globalThis as unknown as { cairnTus?: Tus };

function tus(): Tus {
  // Rebuilt when the data directory changes (tests run suites against several in one process).
  if (!globalForTus.cairnTus || globalForTus.cairnTus.dir !== uploadsDir()) {
    const store = new HashingFileStore({
      directory: uploadsDir(),
      expirationPeriodInMilliseconds: config().uploadExpiryHours * 3600 * 1000,
    });
    // One lock per upload for tus's handlers and Cairn's PATCH alike.
    const locker = new MemoryLocker();
    const server = new Server({
      path: TUS_PATH,
      datastore: store,
      locker,
      lockDrainTimeout: LOCK_DRAIN_MS,
      respectForwardedHeaders: true,
      namingFunction: () => randomBytes(16).toString("hex"),
      maxSize,
      onUploadCreate,
      onUploadFinish,
    });
    globalForTus.cairnTus = { server, store, locker, dir: uploadsDir() };
  }
  return globalForTus.cairnTus;
}

export function tusDataStore(): HashingFileStore {
  return tus().store;
}

export function tusServer(): Server {
  return tus().server;
}

const codeForStatus: Record<number, ApiError["code"]> = {
  400: "invalid_request",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  410: "not_found",
  412: "invalid_request",
  413: "payload_too_large",
  415: "invalid_request",
  460: "conflict",
};

/** Gives tus's own plain-text errors the API envelope, keeping tus's protocol headers. */
async function withEnvelope(response: Response, ctx: RequestContext): Promise<Response> {
  if (response.status < 400) return response;
  const text = await response.text();
  if (text.startsWith('{"error"')) return new Response(text, { status: response.status, headers: response.headers });
  const headers = new Headers(response.headers);
  headers.set("content-type", "application/json");
  if (response.status === 413 && ctx.budget) {
    const error = ctx.budget.error();
    return Response.json({ error: { code: error.code, message: error.message, details: error.details } }, { status: 413, headers });
  }
  const code = codeForStatus[response.status] ?? "internal";
  const message = text.trim() || "The upload request failed.";
  return Response.json({ error: { code, message: `${message}${message.endsWith(".") ? "" : "."}` } }, { status: response.status, headers });
}

/**
 * Runs one tus request for the caller. Requests naming an upload are checked against the
 * caller's org first, so another org's upload id answers 404 like any missing one.
 */
export async function handleTusRequest(db: Db, caller: Caller, request: Request, uploadId: string | null) {
  if (uploadId) {
    const row = await findUpload(db, { orgId: caller.orgId, id: uploadId });
    if (!row) throw notFound("Upload");
    if (caller.job) {
      const checkpoint = await findCheckpoint(db, { orgId: caller.orgId, id: row.checkpointId });
      if (!checkpoint) throw notFound("Upload");
      assertWritableByCaller(caller, checkpoint);
    }
    if (request.method === "PATCH" && row.status !== "active") {
      throw new ApiError("conflict", "This upload is already complete.");
    }
  }
  const ctx: RequestContext = { db, caller };
  // PATCH is Cairn's own (lib/uploads/tus-patch.ts); tus answers the rest of the protocol.
  const { server, store, locker } = tus();
  const response = await requestContext.run(ctx, () =>
    request.method === "PATCH" ? handleTusPatch(request, uploadId, { store, locker, maxSize, onUploadFinish }) : server.handleWeb(request),
  );
  if (request.method === "DELETE" && uploadId && response.status === 204) {
    await deleteUpload(db, { id: uploadId });
    tusDataStore().forget(uploadId);
  }
  return withEnvelope(response, ctx);
}
