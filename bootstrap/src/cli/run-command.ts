import { Command, CommanderError } from "commander";
import { ExitCode } from "../errors";
import { Reporter, terminalSafe } from "../reporter";

/** Text appended to every command's --help. */
export const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  unexpected failure (network, Key Vault unreachable, service error)
  2  usage, configuration or stack-output error
  3  a person must act (see the message: sign in again, or a secret needs attention)
  130, 143  cancelled by SIGINT (Ctrl-C) or SIGTERM (the message says what was stored, if anything)`;

/** What a command's action returns: the exit code, after it reported its result. */
export type CommandAction<O> = (options: O, reporter: Reporter) => Promise<number>;

/**
 * Parses argv with commander and runs the action, turning every error into a
 * message with a next step and a documented exit code. Usage errors found by
 * commander exit 2; with --json they are also printed as one JSON document.
 */
export async function runCommand<O>(program: Command, argv: string[], action: CommandAction<O>): Promise<number> {
  const json = argv.includes("--json");
  const reporter = new Reporter({ json });
  program.exitOverride().configureOutput({
    writeErr: (text) => process.stderr.write(terminalSafe(text)),
    outputError: (text, write) => write(text.replace(/^error: /, "✖ ")),
  });
  program.addHelpText("after", EXIT_CODES_HELP);
  try {
    program.parse(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return ExitCode.Ok; // --help, --version
      if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: { code: "invalid_options", message: terminalSafe(error.message.replace(/^error: /, "")) } }, null, 2)}\n`);
      process.stderr.write("  Next: run the command with --help to see every option.\n");
      return ExitCode.Usage;
    }
    throw error;
  }
  try {
    return await action(program.opts() as O, reporter);
  } catch (error) {
    return reporter.failure(error);
  }
}

/** Runs a CLI entry point and exits once output is flushed. */
export function exitWith(code: Promise<number>): void {
  code
    .catch((error: unknown) => {
      process.stderr.write(`✖ Unexpected error: ${terminalSafe(error instanceof Error ? error.message : String(error))}\n`);
      return ExitCode.Failure;
    })
    .then((exitCode) => {
      process.exitCode = exitCode;
      process.stdout.write("", () => process.stderr.write("", () => process.exit(exitCode)));
    });
}
