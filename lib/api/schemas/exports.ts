import { z } from "zod";
import { limitParam } from "./common";

export const exportStatuses = ["queued", "running", "succeeded", "failed"] as const;
export type ExportStatus = (typeof exportStatuses)[number];

/** Connection providers a checkpoint can be exported to. */
export const exportProviders = ["s3", "gcs", "azure"] as const;

export const DESTINATION_RULE =
  "Give the destination as bucket/prefix/ (for Azure, container/prefix/): a bucket name, then an optional folder, without s3:// or gs://.";

const BUCKET = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;

/** Why a destination path is malformed, in words a person can act on, or null when it is fine. Browser-safe. */
export function destinationPathProblem(value: string): string | null {
  const path = value.trim();
  if (path === "") return `Enter a destination path. ${DESTINATION_RULE}`;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) return `Leave out the scheme (${path.split("://")[0]}://). ${DESTINATION_RULE}`;
  if (path.startsWith("/")) return `Start with the bucket name, not '/'. ${DESTINATION_RULE}`;
  const [bucket = "", ...rest] = path.split("/");
  if (!BUCKET.test(bucket)) return `'${bucket}' is not a bucket or container name: use 3 or more lower-case letters, digits, '.', '-' or '_'.`;
  const segments = rest.at(-1) === "" ? rest.slice(0, -1) : rest;
  if (segments.some((s) => s === "" || s === "." || s === "..")) return `The folder part must not hold empty, '.' or '..' segments. ${DESTINATION_RULE}`;
  if (path.includes("\\")) return `Use '/' between folders, not '\\'. ${DESTINATION_RULE}`;
  return null;
}

/** A valid destination split into its bucket and key prefix ('' or ending in '/'). */
export function splitDestination(value: string): { bucket: string; prefix: string } {
  const [bucket = "", ...rest] = value.trim().split("/");
  const folder = rest.filter((s) => s !== "").join("/");
  return { bucket, prefix: folder ? `${folder}/` : "" };
}

export const createExportBody = z.object({
  connection: z.string({ error: "Choose a storage connection" }).trim().min(1, "Choose a storage connection").max(200),
  destinationPath: z
    .string({ error: "Enter a destination path" })
    .max(1024, "The destination path is longer than 1024 characters.")
    .superRefine((value, ctx) => {
      const problem = destinationPathProblem(value);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    }),
});
export type CreateExportBody = z.infer<typeof createExportBody>;

export const listExportsQuery = z.object({ limit: limitParam, cursor: z.string().optional() });

export const archiveQuery = z.object({
  format: z.enum(["tar", "zip"], { message: "format must be tar or zip" }).default("tar"),
});

export const exportResponse = z.object({
  id: z.string(),
  checkpointId: z.string(),
  connection: z.string(),
  provider: z.string(),
  destinationPath: z.string(),
  status: z.enum(exportStatuses),
  message: z.string().nullable(),
  progress: z.object({ bytesDone: z.number(), bytesTotal: z.number(), filesDone: z.number(), filesTotal: z.number() }),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type ExportResponse = z.infer<typeof exportResponse>;

export const exportListResponse = z.object({ items: z.array(exportResponse), nextCursor: z.string().nullable(), total: z.number() });

/** `POST …/export`: the export queued; follow it in `GET …/exports`. */
export const exportStartedResponse = z.object({ id: z.string(), status: z.enum(exportStatuses) });
export type ExportStartedResponse = z.infer<typeof exportStartedResponse>;
export type ExportListResponse = z.infer<typeof exportListResponse>;
