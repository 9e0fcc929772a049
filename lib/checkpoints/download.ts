import { responseStream } from "@/lib/api/response-stream";
import { ApiError, notFound } from "@/lib/api/errors";
import type { Db } from "@/lib/db/client";
import { findFile } from "@/lib/db/queries/files";
import { getBlobStore } from "@/lib/storage";
import type { ByteRange } from "@/lib/storage/types";
import { resolveCheckpoint } from "./service";

/** Parses a single `bytes=` range; null means "send everything", as RFC 9110 allows. */
export function parseRange(header: string | null, size: number): ByteRange | "unsatisfiable" | null {
  const match = header?.match(/^bytes=(\d*)-(\d*)$/);
  if (!match || (match[1] === "" && match[2] === "")) return null;
  if (match[1] === "") {
    const suffix = Number(match[2]);
    if (suffix === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) return "unsatisfiable";
  return { start, end };
}

function contentDisposition(filePath: string): string {
  const name = filePath.split("/").at(-1) ?? "file";
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** One file of a checkpoint, with ETag, Content-Length and single-range support. */
export async function downloadFile(
  db: Db,
  { orgId, ref, filePath, request }: { orgId: string; ref: string; filePath: string; request: Request },
): Promise<Response> {
  const checkpoint = await resolveCheckpoint(db, { orgId, ref, allowPublic: true });
  const file = await findFile(db, { checkpointId: checkpoint.id, path: filePath });
  if (!file) throw notFound(`File '${filePath}' in checkpoint '${checkpoint.name}'`);
  const etag = `"${file.sha256}"`;
  const headers = new Headers({
    etag,
    "accept-ranges": "bytes",
    "content-type": "application/octet-stream",
    "content-disposition": contentDisposition(filePath),
    "cache-control": "private, max-age=31536000, immutable",
  });
  if (request.headers.get("if-none-match") === etag) return new Response(null, { status: 304, headers });
  const ifRange = request.headers.get("if-range");
  const range = ifRange && ifRange !== etag ? null : parseRange(request.headers.get("range"), file.size);
  if (range === "unsatisfiable") {
    headers.set("content-range", `bytes */${file.size}`);
    const error = new ApiError("invalid_request", `The requested range is outside the file's ${file.size} bytes.`);
    return Response.json({ error: { code: error.code, message: error.message } }, { status: 416, headers });
  }
  const stream = await getBlobStore().get(file.sha256, range ?? undefined);
  const body = responseStream(stream);
  if (range) {
    headers.set("content-range", `bytes ${range.start}-${range.end}/${file.size}`);
    headers.set("content-length", String(range.end - range.start + 1));
    return new Response(body, { status: 206, headers });
  }
  headers.set("content-length", String(file.size));
  return new Response(body, { status: 200, headers });
}
