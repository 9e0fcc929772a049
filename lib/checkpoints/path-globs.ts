// Globs over the paths of a checkpoint's files, read as `.gitignore` reads them (browser-safe):
// - `*` is any run of characters but `/`, `?` one such character, `[…]` a class (`[!…]` negated),
//   `{a,b}` either alternative, `**` any characters including `/`, `\x` the character x;
// - a glob without a `/` (a trailing one aside) matches a file's name, or any directory's, at any
//   depth: `*.safetensors`, `*optim*`; any other is anchored at the checkpoint's root:
//   `text/*.json`, `/latest`, `**/adapter_*`;
// - a glob that matches a directory matches every file below it, and a trailing `/` matches
//   directories only: `global_step*/`.

/** A compiled glob: `matches` takes a file's path in the checkpoint (`a/b/c.bin`). */
export type PathGlob = { glob: string; matches(path: string): boolean };

class GlobProblem extends Error {}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/** The regular expression for a glob's body (no leading or trailing `/` handling). */
function translate(body: string): string {
  let out = "";
  for (let i = 0; i < body.length; i += 1) {
    const c = body[i];
    if (c === "\\") {
      const next = body[i + 1];
      if (next === undefined) throw new GlobProblem("ends with a lone '\\'");
      out += escapeRegex(next);
      i += 1;
    } else if (c === "*") {
      if (body[i + 1] !== "*") {
        out += "[^/]*";
        continue;
      }
      const wholeSegment = (i === 0 || body[i - 1] === "/") && body[i + 2] === "/";
      out += wholeSegment ? "(?:.*/)?" : ".*";
      i += wholeSegment ? 2 : 1;
    } else if (c === "?") {
      out += "[^/]";
    } else if (c === "[") {
      let end = i + 1;
      if (body[end] === "!" || body[end] === "^") end += 1;
      if (body[end] === "]") end += 1;
      while (end < body.length && body[end] !== "]") end += 1;
      if (end >= body.length) throw new GlobProblem("has a '[' without its ']'");
      let inner = body.slice(i + 1, end);
      const negated = inner.startsWith("!") || inner.startsWith("^");
      if (negated) inner = inner.slice(1);
      out += `[${negated ? "^/" : ""}${inner.replace(/[\\\]^[]/g, "\\$&")}]`;
      i = end;
    } else if (c === "{") {
      const end = body.indexOf("}", i + 1);
      if (end === -1) throw new GlobProblem("has a '{' without its '}'");
      const inner = body.slice(i + 1, end);
      if (inner.includes("{")) throw new GlobProblem("nests braces, which Cairn's globs do not support");
      out += `(?:${inner.split(",").map(translate).join("|")})`;
      i = end;
    } else {
      out += escapeRegex(c);
    }
  }
  return out;
}

function compile(glob: string): RegExp {
  if (glob.trim() === "") throw new GlobProblem("is empty");
  let body = glob;
  const directoriesOnly = body.endsWith("/");
  if (directoriesOnly) body = body.slice(0, -1);
  const anchored = body.includes("/");
  if (body.startsWith("/")) body = body.slice(1);
  if (body === "" || body === "**") throw new GlobProblem("matches every file; leave it out instead");
  const core = translate(body);
  try {
    return new RegExp(`${anchored ? "^" : "(?:^|/)"}(?:${core})${directoriesOnly ? "/" : "(?:/|$)"}`);
  } catch {
    throw new GlobProblem("is not a valid glob");
  }
}

/** What is wrong with a glob, as the end of a sentence beginning with it ("'[a' has a '[' without its ']'"), or null. */
export function globProblem(glob: string): string | null {
  try {
    compile(glob);
    return null;
  } catch (error) {
    if (error instanceof GlobProblem) return `'${glob}' ${error.message}.`;
    throw error;
  }
}

/** A compiled glob; throws on one `globProblem` refuses (validate first). */
export function compileGlob(glob: string): PathGlob {
  const regex = compile(glob);
  return { glob, matches: (path) => regex.test(path) };
}
