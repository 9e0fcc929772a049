import type { Readable } from "node:stream";
import type { RangedSource } from "./ranged-stream";

/*
 * The contract between the ingest pipeline and a source type's adapter. Pure types and errors
 * (no server imports): the CLI's `fetch` shares the error classes and the ranged reader.
 */

/** A decrypted storage connection, handed to an adapter for one ingest. */
export type SourceConnection = {
  name: string;
  provider: string;
  config: Record<string, unknown>;
  secret: Record<string, string>;
};

/** One file a source offers: its path inside the checkpoint, its size when known, and its bytes. */
export type SourceFile = {
  path: string;
  size: number | null;
  /** The SHA-256 the source vouches for (e.g. a Hugging Face LFS oid), checked after download. */
  sha256?: string;
  /** May be called more than once (a retry, a second download to judge a checksum): each call reads from the start. */
  open(opts?: { signal?: AbortSignal }): Promise<Readable>;
  /** The same bytes as ranges to fetch side by side, when the source offers them (large objects). */
  ranges?: RangedSource;
};

/**
 * What a source path names: a tree (`prefix/` — every file below it, paths relative to it) or a
 * single object, which the pipeline extracts when it is an archive.
 */
export type SourceListing =
  | { kind: "tree"; files: SourceFile[] }
  | { kind: "single"; file: SourceFile; name: string };

export type SourceContext = {
  uri: string;
  options: Record<string, string>;
  connection: SourceConnection | null;
  /** A private scratch directory for this ingest (git clones, spooled archives); removed afterwards. */
  scratchDir: string;
  signal: AbortSignal;
  log(message: string): Promise<void>;
};

/** What a connection test tells the user: whether the credentials work, in a sentence. */
export type ProbeResult = { ok: boolean; message: string };

/**
 * The server half of one source type (its browser-safe half is its `spec.ts`). Implementers must:
 * list what `ctx.uri` names without downloading it (files open lazily); vet the path and the
 * connection themselves (the API checked the rule, but adapters are also called directly); dial
 * only through the address guard; throw `PermanentSourceError` with the right `reason` for what
 * only the user can fix, and anything else for what a retry may fix.
 */
export type SourceAdapter = {
  type: string;
  list(ctx: SourceContext): Promise<SourceListing>;
  /** Releases what `list` holds (temp clones, clients); always called. */
  close?(): Promise<void>;
  /**
   * A cheap authenticated call with a connection of the provider this type's spec declares, so
   * users learn about bad credentials before an ingest fails. Never throws: failures are `ok: false`.
   */
  probe?(connection: SourceConnection): Promise<ProbeResult>;
};

/**
 * Why reading a source failed, for callers to switch on instead of matching messages. The first
 * four are the user's to fix (permanent); the last two may pass (retried with backoff).
 */
export type SourceErrorReason =
  /** The path, object, repository, revision, branch or host does not exist. */
  | "not_found"
  /** Credentials are missing, refused or lack access; or the address guard refuses the host. */
  | "denied"
  /** The path, options or connection cannot work as given (malformed, wrong provider, too large). */
  | "invalid"
  /** The source holds other bytes than it vouches for. */
  | "corrupt"
  /** The source asked to slow down (429, Retry-After). */
  | "throttled"
  /** The source failed or could not be reached for now (5xx, a dropped or stalled connection). */
  | "unavailable";

export type PermanentReason = Exclude<SourceErrorReason, "throttled" | "unavailable">;

/** A source failure that says what happened (`reason`) besides the sentence the user reads. */
export class SourceError extends Error {
  constructor(
    message: string,
    readonly reason: SourceErrorReason,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "SourceError";
  }
}

/**
 * A failure the user must fix (404, access denied, bad archive): fail at once, no retry.
 * Anything else thrown is treated as transient and retried with backoff.
 */
export class PermanentSourceError extends SourceError {
  declare readonly reason: PermanentReason;

  constructor(message: string, reason: PermanentReason = "invalid", options?: ErrorOptions) {
    super(message, reason, options);
    this.name = "PermanentSourceError";
  }
}
