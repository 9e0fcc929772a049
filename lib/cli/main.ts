import { Command, CommanderError } from "commander";
import { registerCheckpoint } from "./checkpoint";
import { CliError } from "./config";
import { registerConnection } from "./connection";
import { registerJob } from "./job";
import { registerLogin } from "./login";

export function buildProgram(): Command {
  const program = new Command("cairn")
    .description("Command-line client for a Cairn checkpoint server (CAIRN_SERVER, CAIRN_TOKEN override the saved login)")
    .version(process.env.npm_package_version ?? "0.1.0")
    .showHelpAfterError("(add --help for usage)")
    .enablePositionalOptions()
    .exitOverride();
  registerLogin(program);
  registerCheckpoint(program);
  registerConnection(program);
  registerJob(program);
  return program;
}

/** Runs the CLI; errors print their message on stderr and exit non-zero, without a stack. */
export async function main(argv: string[] = process.argv): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    if (error instanceof CliError) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exitCode = error.exitCode;
      return;
    }
    process.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  }
}
