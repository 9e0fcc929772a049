import { randomBytes } from "node:crypto";

/** A URL-safe name for an org: lower-case letters, digits and single dashes, at most 40 characters. */
export function slugify(name: string): string {
  const base = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .slice(0, 40)
    .replace(/^-+|-+$/g, "");
  return base || "org";
}

/** The slugs to try for a new org, in order: its name's, then that with a short random tail. */
export function* slugCandidates(name: string): Generator<string> {
  const base = slugify(name);
  yield base;
  for (;;) yield `${base}-${randomBytes(3).toString("hex")}`;
}
