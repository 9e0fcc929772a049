import type { z } from "zod";
import { ApiError, fromZodError } from "./errors";

/** Reads a JSON body and validates it: malformed JSON is 400, a broken rule 422. */
export async function parseJson<S extends z.ZodType>(request: Request, schema: S): Promise<z.infer<S>> {
  let raw: unknown;
  try {
    const text = await request.text();
    raw = text === "" ? {} : JSON.parse(text);
  } catch {
    throw new ApiError("invalid_request", "The request body is not valid JSON. Send a JSON object.");
  }
  const result = schema.safeParse(raw);
  if (!result.success) throw fromZodError(result.error);
  return result.data;
}

/** Validates the query string; a bad query is `invalid_request`, like a bad body. */
export function parseQuery<S extends z.ZodType>(request: Request, schema: S): z.infer<S> {
  const params = Object.fromEntries(new URL(request.url).searchParams);
  const result = schema.safeParse(params);
  if (!result.success) {
    const detail = fromZodError(result.error);
    throw new ApiError("invalid_request", `Bad query parameters — ${detail.message.replace(/^[^—]*— /, "")}`, detail.details);
  }
  return result.data;
}
