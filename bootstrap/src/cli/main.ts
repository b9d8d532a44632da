#!/usr/bin/env node
/**
 * `partner-center-sam <command>`: the package's one executable, so a project
 * that installed the package can run `npx partner-center-sam status ...`.
 * It only dispatches: each command keeps its own options, --help and exit codes,
 * and only the chosen command's modules are loaded.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { ExitCode } from "../errors";
import { EXIT_CODES_HELP, exitWith } from "./run-command";

type CommandMain = (argv: string[]) => Promise<number>;

/** The subcommands, loaded on demand so `status` never loads the sign-in code. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandMain> }> = {
  bootstrap: {
    summary: "sign in once, interactively and with MFA, and store the first refresh token in Key Vault",
    load: async () => (await import("./bootstrap.js")).main,
  },
  refresh: {
    summary: "redeem the stored refresh token and store the rotated one (run it at least every 90 days)",
    load: async () => (await import("./refresh.js")).main,
  },
  status: {
    summary: "report when the client secret and the refresh token expire; exits 3 when something needs attention",
    load: async () => (await import("./status.js")).main,
  },
};

/** The version in the package's own package.json (two folders above dist/cli). */
export function packageVersion(): string {
  const file = path.join(__dirname, "..", "..", "..", "package.json");
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    "Usage: partner-center-sam <command> [options]",
    "",
    "Keeps a Partner Center Secure Application Model refresh token alive in Azure Key Vault.",
    "",
    "Commands:",
    ...lines,
    "",
    "Options:",
    "  -V, --version  print the version",
    "  -h, --help     print this help; `partner-center-sam <command> --help` lists the command's options",
    EXIT_CODES_HELP,
    "",
  ].join("\n");
}

/** Runs `partner-center-sam ...argv` (argv as in process.argv) and resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [node, script, first, ...rest] = argv;
  if (first === "--version" || first === "-V") {
    process.stdout.write(`${packageVersion()}\n`);
    return ExitCode.Ok;
  }
  if (first === "--help" || first === "-h") {
    process.stdout.write(usage());
    return ExitCode.Ok;
  }
  if (first === "help" && rest.length === 0) {
    process.stdout.write(usage());
    return ExitCode.Ok;
  }
  const name = first === "help" ? rest[0] : first;
  const command = name === undefined ? undefined : COMMANDS[name];
  if (!command) {
    process.stderr.write(name === undefined ? "✖ Name a command.\n" : `✖ Unknown command "${name}".\n`);
    process.stderr.write(`${usage()}  Next: run one of the commands above, e.g. \`partner-center-sam status --help\`.\n`);
    return ExitCode.Usage;
  }
  const run = await command.load();
  return run([node ?? process.execPath, script ?? "partner-center-sam", ...(first === "help" ? ["--help"] : rest)]);
}

if (require.main === module) exitWith(main(process.argv));
