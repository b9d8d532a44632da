#!/usr/bin/env node
/**
 * `partner-center-sam <command>`: the package's one executable (the npm scripts
 * `npm run <command> -- …` are aliases for it, one per command of COMMANDS below).
 *
 * Every command has the same shape (see refresh.ts): `xCommand(runF)` declares
 * its flags — the shared ones through shared-options.ts — validates them into
 * an options struct and hands it to `runF` (default `xRun`), which runs ONE
 * library flow and renders its result (text, or one JSON document with --json).
 * Command files load their flow lazily, so `status` never loads the sign-in code.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { Command } from "commander";
import { ExitCode } from "../core/errors";
import { bootstrapCommand } from "./bootstrap";
import { cacheCommand } from "./cache";
import { callCommand } from "./call";
import { consentCommand } from "./consent";
import { customersCommand } from "./customers";
import { demoCommand } from "./demo";
import { emulatorCommand } from "./emulator";
import { importTokenCommand } from "./import-token";
import { notifyCommand } from "./notify";
import { refreshCommand } from "./refresh";
import { configureCommand, EXIT_CODES_HELP, exitWith, runProgram } from "./run-command";
import { detectInvocation, swallowedFlags } from "./invocation";
import { Reporter } from "./reporter";
import { catalogError } from "../core/error-catalogue";
import { enableNodeCompileCache } from "./compiled-code";
import { statusCommand } from "./status";
import { tokenCommand } from "./token";

/**
 * The subcommands, in the order `--help` lists them. To add one, write
 * cli/<name>.ts in the shape above and add its factory here (and an npm script
 * alias in package.json).
 */
export const COMMANDS: ReadonlyArray<() => Command> = [
  bootstrapCommand,
  importTokenCommand,
  refreshCommand,
  statusCommand,
  tokenCommand,
  callCommand,
  consentCommand,
  customersCommand,
  emulatorCommand,
  demoCommand,
  notifyCommand,
  cacheCommand,
];

/** The version in the package's own package.json (two folders above dist/cli). */
export function packageVersion(): string {
  const file = path.join(__dirname, "..", "..", "..", "package.json");
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

/** The whole command line: the program and its subcommands, each with --help and --version. */
export function createProgram(version = packageVersion()): Command {
  const program = configureCommand(
    new Command("partner-center-sam")
      .usage("<command> [options]")
      .description("Keeps a Partner Center Secure Application Model refresh token alive in Azure Key Vault, and hands out access tokens from it."),
    version,
  );
  program.helpCommand("help [command]", "print the help of a command");
  for (const factory of COMMANDS) program.addCommand(configureCommand(factory(), version));
  return program;
}

/** Runs `partner-center-sam ...argv` (argv as in process.argv) and resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = createProgram();
  if (argv.length <= 2) {
    process.stderr.write(`✖ Name a command.\n${program.helpInformation()}${EXIT_CODES_HELP}\n  Next: run one of the commands above, e.g. \`partner-center-sam status --help\`.\n`);
    return ExitCode.Usage;
  }
  const refused = refuseSwallowedFlags(program, argv);
  if (refused !== undefined) return refused;
  return runProgram(program, argv);
}

/**
 * `npm run status --outputs X` (no `--`): npm keeps the flags for itself and the
 * command would run without them — against another stack, say. Refused (exit 2)
 * with the command line that passes them on.
 */
function refuseSwallowedFlags(program: Command, argv: string[]): number | undefined {
  const name = argv[2];
  const command = program.commands.find((c) => c.name() === name);
  if (!command || !detectInvocation(name).npmScript) return undefined;
  const swallowed = swallowedFlags(command, argv.slice(3));
  if (!swallowed) return undefined;
  return new Reporter({ json: false }).failure(
    catalogError("invalid_options", {
      message: `npm kept ${swallowed.flags.join(", ")} for itself (flags before \`--\` are npm's own), so \`${name}\` never got ${swallowed.flags.length > 1 ? "them" : "it"}.`,
      hint: `Run \`${swallowed.corrected}\`: npm passes everything after \`--\` to the command.`,
    }),
  );
}

/**
 * A reader that goes away (`partner-center-sam token --help | head -c 1`) makes
 * the next write to stdout or stderr fail with EPIPE. That is not a failure of
 * the command: the rest of that stream's output is dropped, no stack trace is
 * printed, and the command finishes — so a redeemed refresh token is still
 * written back — and exits with its own exit code (0 when it succeeded). Other
 * errors of the streams are thrown as before.
 */
export function ignoreBrokenPipes(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") throw error;
    });
  }
}

/** Runs the command line as the `partner-center-sam` executable: with this process's arguments, then exits. */
export function runAsBin(): void {
  enableNodeCompileCache();
  ignoreBrokenPipes();
  exitWith(main(process.argv));
}

if (require.main === module) runAsBin();
