import "server-only";

/**
 * Whether a failed statement broke a unique constraint (SQLSTATE 23505), on either driver: the
 * code is on the driver's error, or on its `cause` when drizzle wraps it. The one place to ask.
 */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; cause?: { code?: string } } | null;
  return e?.code === "23505" || e?.cause?.code === "23505";
}
