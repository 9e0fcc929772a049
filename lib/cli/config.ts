import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export type CliConfig = { server?: string; token?: string };

/** `$XDG_CONFIG_HOME/cairn`, or `~/.config/cairn`. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(os.homedir(), ".config");
  return path.join(base, "cairn");
}

export function configFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(configDir(env), "config.json");
}

export async function readConfig(env: NodeJS.ProcessEnv = process.env): Promise<CliConfig> {
  try {
    const parsed = JSON.parse(await readFile(configFile(env), "utf8")) as unknown;
    if (!parsed || typeof parsed !== "object") return {};
    const { server, token } = parsed as Record<string, unknown>;
    return { server: typeof server === "string" ? server : undefined, token: typeof token === "string" ? token : undefined };
  } catch {
    return {};
  }
}

/** Writes the config readable by its owner only: it holds a token. */
export async function writeConfig(config: CliConfig, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const file = configFile(env);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(temp, 0o600);
  await rename(temp, file);
  return file;
}

export function normalizeServer(url: string): string {
  const trimmed = url.trim().replace(/\/+$/, "");
  return /^https?:\/\//.test(trimmed) ? trimmed : `http://${trimmed}`;
}

/** The server and token to use: `CAIRN_SERVER` / `CAIRN_TOKEN` win over the saved config. */
export async function resolveCredentials(env: NodeJS.ProcessEnv = process.env): Promise<Required<CliConfig>> {
  const saved = await readConfig(env);
  const server = env.CAIRN_SERVER || saved.server;
  const token = env.CAIRN_TOKEN || saved.token;
  if (!server) throw new CliError("No server configured. Run `cairn login --server <url>` or set CAIRN_SERVER.");
  if (!token) throw new CliError(`Not logged in to ${server}. Run \`cairn login\` or set CAIRN_TOKEN.`);
  return { server: normalizeServer(server), token };
}

/** An error whose message is all the user needs; the entry point prints it and exits non-zero. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "CliError";
  }
}
