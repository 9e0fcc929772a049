import type { Readable } from "node:stream";
import type { RangedSource } from "./ranged-stream";

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

/** One source type: how to list what a path names. Adding a type is one file plus its registration. */
export type SourceAdapter = {
  type: string;
  list(ctx: SourceContext): Promise<SourceListing>;
  /** Releases what `list` holds (temp clones, clients); always called. */
  close?(): Promise<void>;
};

/**
 * A failure the user must fix (404, access denied, bad archive): fail at once, no retry.
 * Anything else thrown is treated as transient and retried with backoff.
 */
export class PermanentSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PermanentSourceError";
  }
}
