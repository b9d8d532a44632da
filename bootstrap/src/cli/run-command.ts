import { Command, CommanderError } from "commander";
import { ExitCode } from "../core/errors";
import { Reporter, terminalSafe } from "./reporter";
import { CancelledError } from "../core/retry";
import { detectInvocation } from "./invocation";

/** Text appended to every command's --help. */
export const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  unexpected failure (network, Key Vault unreachable, service error)
  2  usage, configuration or stack-output error
  3  a person must act (see the message: sign in again, or a secret needs attention)
  130, 143  cancelled by SIGINT (Ctrl-C) or SIGTERM (the message says what was stored, if anything)`;

/** Exit codes for a command ended by a signal (128 + signal number). */
const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/** What a command's run function gets besides its parsed command. */
export interface RunContext {
  /** Progress, results and failures; implements the library's Progress. */
  reporter: Reporter;
  /** Aborts on SIGINT/SIGTERM for commands registered with `cancelOnSignals`. */
  signal?: AbortSignal;
}

/** A command's run function: validated flags → one library flow → render; resolves to the exit code. */
export type CommandRun = (command: Command, context: RunContext) => Promise<number>;

/** How {@link setRun} runs a command. */
export interface RunSettings {
  /** Cancel the flow on SIGINT/SIGTERM and exit 130/143 after reporting what was done. */
  cancelOnSignals?: boolean;
  /** Whether progress lines (step, note) are printed; default true. */
  progress?: boolean;
}

const outcomes = new WeakMap<Command, number>();

/**
 * Makes `run` the command's action. The reporter is created once the flags are
 * parsed (it needs --json); every error becomes a message with a next step and
 * its documented exit code.
 */
export function setRun(command: Command, run: CommandRun, settings: RunSettings = {}): Command {
  return command.action(async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    const reporter = new Reporter({ json: cmd.opts<{ json?: boolean }>().json === true, progress: settings.progress, invocation: detectInvocation(cmd.name()) });
    const cancel = settings.cancelOnSignals ? cancelOnSignals() : undefined;
    try {
      outcomes.set(cmd, await run(cmd, { reporter, signal: cancel?.controller.signal }));
    } catch (error) {
      const code = reporter.failure(error);
      // A signal aborts whatever is in flight; the error says what was and was not done (e.g. redeemed but not stored).
      outcomes.set(cmd, cancel?.received ? (SIGNAL_EXIT[cancel.received] ?? ExitCode.Failure) : code);
    } finally {
      cancel?.dispose();
    }
  });
}

/** On SIGINT/SIGTERM, aborts the controller with a CancelledError naming the signal. */
function cancelOnSignals(): { controller: AbortController; received?: string; dispose: () => void } {
  const state: { controller: AbortController; received?: string; dispose: () => void } = { controller: new AbortController(), dispose: () => undefined };
  const handlers = (["SIGINT", "SIGTERM"] as const).map((name) => {
    const handler = () => {
      state.received ??= name;
      state.controller.abort(new CancelledError(name));
    };
    process.on(name, handler);
    return () => process.off(name, handler);
  });
  state.dispose = () => handlers.forEach((off) => off());
  return state;
}

/** Applies the settings every level of the program shares: errors as exit codes, safe output, exit-code help, --version. */
export function configureCommand(command: Command, version: string): Command {
  command
    .exitOverride()
    .configureOutput({
      writeErr: (text) => process.stderr.write(terminalSafe(text)),
      outputError: (text, write) => write(text.replace(/^error: /, "✖ ")),
    })
    .addHelpText("after", EXIT_CODES_HELP);
  if (!command.options.some((o) => o.long === "--version")) command.version(version, "-V, --version", "print the version");
  command.helpOption("-h, --help", "print this help");
  return command;
}

/**
 * Parses argv (as in process.argv) and runs the chosen command; resolves to the
 * exit code. Usage errors found by commander exit 2; with --json they are also
 * printed as one JSON document on stdout.
 */
export async function runProgram(program: Command, argv: string[]): Promise<number> {
  const json = argv.includes("--json");
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return ExitCode.Ok; // --help, --version
      if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: { code: "invalid_options", message: terminalSafe(error.message.replace(/^error: /, "")) } }, null, 2)}\n`);
      process.stderr.write("  Next: run the command with --help to see every option.\n");
      return ExitCode.Usage;
    }
    throw error;
  }
  for (const command of program.commands) {
    const code = outcomes.get(command);
    if (code !== undefined) return code;
  }
  return ExitCode.Ok;
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
