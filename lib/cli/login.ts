import os from "node:os";
import type { Command } from "commander";
import { errorFrom } from "./client";
import { CliError, normalizeServer, readConfig, writeConfig } from "./config";
import { ask, askSecret, readStdin } from "./prompt";

type LoginOptions = { server?: string; email?: string; passwordStdin?: boolean; tokenName?: string };

/** Trades email + password (HTTP Basic, allowed on the token route only) for an API token. */
async function createToken(server: string, email: string, password: string, name: string): Promise<string> {
  let response: Response;
  try {
    response = await fetch(`${server}/api/v1/tokens`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json",
        authorization: `Basic ${Buffer.from(`${email}:${password}`).toString("base64")}`,
      },
      body: JSON.stringify({ name }),
    });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    throw new CliError(`Could not reach ${server}: ${cause}`);
  }
  if (!response.ok) throw await errorFrom(response);
  const { token } = (await response.json()) as { token?: string };
  if (!token) throw new CliError(`${server} did not return a token; is it a Cairn server?`);
  return token;
}

async function login(options: LoginOptions): Promise<void> {
  const saved = await readConfig();
  const rawServer = options.server ?? process.env.CAIRN_SERVER ?? saved.server ?? (process.stdin.isTTY ? await ask("Server URL: ") : "");
  if (!rawServer) throw new CliError("Give the server: cairn login --server https://cairn.example.com");
  const server = normalizeServer(rawServer);
  const email = options.email ?? (process.stdin.isTTY ? await ask("Email: ") : "");
  if (!email) throw new CliError("Give the email with --email when stdin is not a terminal.");
  const password = options.passwordStdin || !process.stdin.isTTY ? await readStdin() : await askSecret("Password: ");
  if (!password) throw new CliError("No password given.");
  const token = await createToken(server, email, password, options.tokenName ?? `cli ${os.hostname()}`.slice(0, 100));
  const file = await writeConfig({ server, token });
  console.log(`Logged in to ${server} as ${email}. Token saved in ${file}.`);
}

export function registerLogin(program: Command): void {
  program
    .command("login")
    .description("Sign in with email and password; saves an API token in the config directory")
    .option("--server <url>", "the Cairn server (default: CAIRN_SERVER or the saved one)")
    .option("--email <email>", "the account's email (asked for when omitted)")
    .option("--password-stdin", "read the password from stdin (implied when stdin is not a terminal)")
    .option("--token-name <name>", "name of the API token to create")
    .addHelpText("after", "\nThe token is saved in $XDG_CONFIG_HOME/cairn/config.json (mode 0600); CAIRN_SERVER and CAIRN_TOKEN override it.")
    .action(login);
}
