import { z } from "zod";
import { ApiError, errorStatus, type ErrorBody, type ErrorCode } from "../errors";

const uuid = z.uuid();

export const isUuid = (value: string) => uuid.safeParse(value).success;

/** A path id that is not a UUID cannot name anything: answer 404 as for any missing row. */
export function uuidParam(value: string, what: string): string {
  if (!isUuid(value)) throw new ApiError("not_found", `That ${what} was not found.`);
  return value;
}

export const limitParam = z.coerce.number().int().min(1, "limit must be 1–200").max(200, "limit must be 1–200").default(50);

/** One page of a cursor-paged list: `{items, nextCursor, total}`. */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    nextCursor: z.string().nullable().describe("Pass as `?cursor=` for the next page; null on the last one."),
    total: z.number().describe("How many items match, over all pages."),
  });

/** Every non-2xx answer (lib/api/errors.ts): a code a program can branch on and a sentence a person can act on. */
export const errorEnvelope = z.object({
  error: z.object({
    code: z.enum(Object.keys(errorStatus) as [ErrorCode, ...ErrorCode[]]),
    message: z.string(),
    /** `fields` for validation_failed (field → what it broke), `usedBy` for a delete refused, `retryAfterSeconds` for rate_limited. */
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});
export type ErrorEnvelope = z.infer<typeof errorEnvelope>;

/** Statuses of the HTTP protocols we speak (Range, tus) that carry the envelope with the nearest code. */
const protocolStatusCodes: Record<number, ErrorCode> = { 410: "not_found", 412: "invalid_request", 415: "invalid_request", 416: "invalid_request", 460: "conflict" };

/** The envelope of one status, with only the codes that status carries. */
export function errorEnvelopeFor(status: number) {
  const codes = (Object.keys(errorStatus) as ErrorCode[]).filter((code) => errorStatus[code] === status);
  const allowed = (codes.length > 0 ? codes : [protocolStatusCodes[status] ?? "internal"]) as [ErrorCode, ...ErrorCode[]];
  return z.object({ error: errorEnvelope.shape.error.extend({ code: z.enum(allowed) }) });
}

type Same<A, B> = [A, B] extends [B, A] ? true : false;
/** Fails to compile when the schema and `ErrorBody`, what `errorResponse` builds, part ways. */
export const envelopeIsErrorBody: Same<ErrorEnvelope, ErrorBody> = true;
