import { z } from "zod";
import { ApiError } from "../errors";

const uuid = z.uuid();

export const isUuid = (value: string) => uuid.safeParse(value).success;

/** A path id that is not a UUID cannot name anything: answer 404 as for any missing row. */
export function uuidParam(value: string, what: string): string {
  if (!isUuid(value)) throw new ApiError("not_found", `That ${what} was not found.`);
  return value;
}

export const limitParam = z.coerce.number().int().min(1, "limit must be 1–200").max(200, "limit must be 1–200").default(50);
