import "server-only";
import { PassThrough, type Readable } from "node:stream";
import { ALLOW_ENV, BlockedAddressError, resolveAllowed } from "@/lib/net/guard";
import { PermanentSourceError } from "./types";

/**
 * What goes wrong with a cloud bucket or container, in sentences a person can act on, shared by
 * the S3, GCS and Azure adapters so the same mistake reads the same whatever the provider.
 */
export const cloudProblems = {
  notFound: (uri: string) => new PermanentSourceError(`${uri} does not exist. Check the path.`, "not_found"),
  containerNotFound: (noun: "bucket" | "container", name: string, uri: string) =>
    new PermanentSourceError(`The ${noun} "${name}" of ${uri} does not exist. Check the path.`, "not_found"),
  accessDenied: (uri: string, policy: string) =>
    new PermanentSourceError(`Access to ${uri} was denied. Check the connection's credentials and ${policy}.`, "denied"),
  badCredentials: (uri: string, detail: string) =>
    new PermanentSourceError(`The connection's credentials were rejected while reading ${uri} (${detail}). Check the connection's credentials.`, "denied"),
  nothingFound: (uri: string) =>
    new PermanentSourceError(`Nothing was found under ${uri}. Check the path: a folder must hold at least one file.`, "not_found"),
  badPath: (uri: string, rule: string) => new PermanentSourceError(`${uri} is not a valid path. ${rule}`, "invalid"),
};

const BLOCKED_PREFIX = "Refusing to connect";

/**
 * The guard's refusal hidden anywhere in an SDK error (as the error, its `cause`, or re-wrapped
 * with the message copied), or null. SDKs wrap socket errors differently; the message survives.
 */
export function blockedAddressMessage(error: unknown, depth = 0): string | null {
  if (!error || typeof error !== "object" || depth > 6) return null;
  const { code, message, cause, errors } = error as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof message === "string" && (code === "EBLOCKEDADDRESS" || message.includes(ALLOW_ENV))) {
    const at = message.indexOf(BLOCKED_PREFIX);
    return at >= 0 ? message.slice(at) : message;
  }
  for (const inner of [cause, ...(Array.isArray(errors) ? errors : [])]) {
    const found = blockedAddressMessage(inner, depth + 1);
    if (found) return found;
  }
  return null;
}

/**
 * Turns an SDK error into what the pipeline expects: PermanentSourceError for what only the user
 * can fix (the address guard's refusal first, then whatever `classify` recognises), otherwise
 * the error unchanged so the pipeline retries it.
 */
export function toSourceError(error: unknown, classify: (error: unknown) => PermanentSourceError | null): unknown {
  if (error instanceof PermanentSourceError) return error;
  const blocked = blockedAddressMessage(error);
  if (blocked) return new PermanentSourceError(blocked, "denied");
  return classify(error) ?? error;
}

/**
 * A stream whose failures arrive as source errors (for SDKs that report a missing object only
 * once the body is read), and which `signal` can cut short. Destroying it stops the source.
 */
export function withSourceErrors(source: Readable, classify: (error: unknown) => PermanentSourceError | null, signal?: AbortSignal): Readable {
  const out = new PassThrough();
  source.on("error", (error) => out.destroy(toSourceError(error, classify) as Error));
  out.once("close", () => {
    signal?.removeEventListener("abort", onAbort);
    if (!source.destroyed) source.destroy();
  });
  const onAbort = () => out.destroy(signal?.reason instanceof Error ? signal.reason : new Error("The read was aborted."));
  if (signal?.aborted) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });
  source.pipe(out);
  return out;
}

/**
 * Refuses a forbidden endpoint before an SDK gets to dial it. The guarded agents remain the real
 * enforcement; this only spares the user an SDK's retry back-off around a refusal it cannot tell
 * from a dropped connection. Other lookup failures are left for the SDK to report.
 */
export async function refuseBlockedEndpoint(endpoint: URL): Promise<void> {
  try {
    await resolveAllowed(endpoint.hostname);
  } catch (error) {
    if (error instanceof BlockedAddressError) throw new PermanentSourceError(error.message, "denied");
  }
}

/**
 * The path of an object inside a tree listing, or null for a "directory" marker. Object names are
 * the provider's, so names that would climb out of the checkpoint are refused rather than stored.
 */
export function treePath(name: string, prefix: string, uri: string): string | null {
  if (!name.startsWith(prefix) || name.endsWith("/")) return null;
  const relative = name.slice(prefix.length);
  const segments = relative.split("/");
  if (!relative || relative.startsWith("/") || segments.some((s) => s === "" || s === "." || s === "..")) {
    throw new PermanentSourceError(
      `${uri} holds an object named "${name}", which cannot be a file path inside a checkpoint (empty, "." or ".." parts). Rename or move it, or choose a narrower path.`,
      "invalid",
    );
  }
  return relative;
}
