import { z } from "zod";

/** A query flag as the clients send it: httpx writes `true`/`false`, requests `True`/`False`, JS `true`. */
const flag = z
  .enum(["true", "false", "True", "False", "1", "0"])
  .optional()
  .transform((value) => value === "true" || value === "True" || value === "1");

/** `GET /api/models/{ns}/{name}/tree/{rev}/{path?}`. */
export const treeQuery = z.object({
  recursive: flag,
  expand: flag,
  /** Where the previous page ended, from its `Link: <…>; rel="next"` header. */
  cursor: z.string().max(200).optional(),
  /** Entries per page (Cairn's addition; the Hub picks its own). */
  limit: z.coerce.number().int().min(1).max(1000).default(1000),
});
export type TreeQuery = z.infer<typeof treeQuery>;

/** `GET /api/models/{ns}/{name}[/revision/{rev}]`: `expand` may repeat, so it is read with `getAll`. */
export const modelInfoQuery = z.object({
  expand: z.array(z.string().max(64)).max(64),
  /** `files_metadata=True` in huggingface_hub: siblings carry size, blob id and LFS facts. */
  blobs: flag,
});
export type ModelInfoQuery = z.infer<typeof modelInfoQuery>;

export function parseTreeQuery(request: Request): TreeQuery {
  return treeQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
}

export function parseModelInfoQuery(request: Request): ModelInfoQuery {
  const params = new URL(request.url).searchParams;
  return modelInfoQuery.parse({ expand: params.getAll("expand").flatMap((value) => value.split(",")).filter(Boolean), blobs: params.get("blobs") ?? undefined });
}
