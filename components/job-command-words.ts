/** The result of splitting a command line: the argv, or why it cannot be split. */
export type SplitCommand = { argv: string[]; problem: null } | { argv: string[]; problem: string };

const DOUBLE_QUOTE_ESCAPES = new Set(['"', "\\", "$", "`"]);

/**
 * Splits a command line into argv the way a POSIX shell's word splitting and quote removal
 * would (no expansion): whitespace separates words, '…' is literal, "…" honours \" \\ \$ \`,
 * and a backslash outside quotes keeps the next character. The job runs argv without a shell,
 * so the form previews exactly what the process receives.
 */
export function splitCommand(line: string): SplitCommand {
  const argv: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | null = null;

  for (let i = 0; i < line.length; i += 1) {
    const char = line[i];
    if (quote === "'") {
      if (char === "'") quote = null;
      else word += char;
      continue;
    }
    if (quote === '"') {
      if (char === '"') quote = null;
      else if (char === "\\" && i + 1 < line.length && DOUBLE_QUOTE_ESCAPES.has(line[i + 1])) word += line[++i];
      else word += char;
      continue;
    }
    if (char === "'" || char === '"') {
      quote = char;
      inWord = true;
    } else if (char === "\\") {
      if (i + 1 < line.length) {
        const next = line[++i];
        // A backslash before a newline continues the line, as in a shell.
        if (next !== "\n") word += next;
      }
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) argv.push(word);
      word = "";
      inWord = false;
    } else {
      word += char;
      inWord = true;
    }
  }
  if (inWord) argv.push(word);
  if (quote) {
    return { argv, problem: `The ${quote === "'" ? "single" : "double"} quote opened in the command is never closed.` };
  }
  return { argv, problem: null };
}

/** The argv the job receives: the words, or `sh -c <line>` when the user asked for a shell. */
export function commandArgv(line: string, throughShell: boolean): SplitCommand {
  const trimmed = line.trim();
  if (!trimmed) return { argv: [], problem: "Enter the command the job runs." };
  if (throughShell) return { argv: ["sh", "-c", trimmed], problem: null };
  const split = splitCommand(trimmed);
  if (!split.problem && split.argv.length === 0) return { argv: [], problem: "Enter the command the job runs." };
  return split;
}

/** A command line that splits back into `argv`, quoting only the words that need it. */
export function joinCommand(argv: readonly string[]): string {
  return argv.map((word) => (word !== "" && /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`)).join(" ");
}
