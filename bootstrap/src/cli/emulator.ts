import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { Command } from "commander";
import { catalogError } from "../core/error-catalogue";
import { ExitCode } from "../core/errors";
import { describeValue } from "../core/validate";
import { OptionProblems } from "./options";
import { setRun } from "./run-command";
import { addJsonOption } from "./shared-options";

/** What `emulator` runs with. */
export interface EmulatorCommandOptions {
  port?: number;
  seed?: string;
  /** Healthy customers to add; undefined = the default estate. */
  customers?: number;
  outputsFile?: string;
  json: boolean;
  signal: AbortSignal;
}

/**
 * `partner-center-sam emulator`: declares and validates the flags, then hands
 * them to `runF` (default {@link emulatorRun}), which serves until Ctrl-C.
 */
export function emulatorCommand(runF: (options: EmulatorCommandOptions) => Promise<number> = emulatorRun): Command {
  const command = new Command("emulator")
    .summary("serve Entra ID, Key Vault and Partner Center emulated on this machine, until Ctrl-C")
    .description(
      "Start the built-in emulator of Entra ID, Key Vault, Partner Center and Microsoft Graph on loopback (HTTPS with a CA made at start),\n" +
        "save the stack outputs a `pulumi up` would produce, and print the endpoints and the environment to export in another\n" +
        "shell so the other commands (and your own code) run against it. Serves until Ctrl-C or SIGTERM (then exit 0).",
    )
    .option("--port <port>", "first of four consecutive loopback ports: Entra ID, Key Vault, Partner Center, Microsoft Graph (default: free ports)")
    .option("--seed <text>", "derive ids, the client secret and the user's password and MFA code from this text, the same on every start")
    .option("--customers <count>", "that many healthy customer tenants, up to 5000 (default: a small estate with one customer in each interesting state)")
    .option("--outputs <file>", "also save the stack outputs to this file (default: a file in the emulator's temp folder)");
  addJsonOption(command, "print one JSON document with the endpoints, environment, users and outputs file on stdout");
  return setRun(
    command,
    (cmd, { signal }) => {
      const flags = cmd.opts<{ port?: string; seed?: string; customers?: string; outputs?: string; json?: boolean }>();
      const problems = new OptionProblems();
      const port = flags.port === undefined ? undefined : problems.integer("--port", flags.port, 0, 1, 65532);
      const customers = flags.customers === undefined ? undefined : problems.integer("--customers", flags.customers, 0, 0, 5000);
      problems.nonEmpty("--seed", flags.seed, "some text");
      problems.nonEmpty("--outputs", flags.outputs, "a file");
      if (flags.outputs?.trim()) {
        const folder = path.dirname(path.resolve(flags.outputs));
        if (!existsSync(folder) || !statSync(folder).isDirectory()) problems.add(`--outputs names a file in ${describeValue(folder)}, which is not an existing folder`);
      }
      problems.throwIfAny();
      return runF({ port, seed: flags.seed, customers, outputsFile: flags.outputs, json: flags.json === true, signal: signal ?? new AbortController().signal });
    },
    { cancelOnSignals: true },
  );
}

/** Serves the emulator until the signal aborts. */
export async function emulatorRun(options: EmulatorCommandOptions): Promise<number> {
  const { serveEmulator } = emulatorModule();
  try {
    await serveEmulator(options);
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { address?: string; port?: number };
    if (e.code === "EADDRINUSE" || e.code === "EACCES") {
      throw catalogError("emulator_port_in_use", { detail: `${e.address ?? "127.0.0.1"}:${e.port ?? "?"} (${e.code}).`, cause: error });
    }
    throw error;
  }
  return ExitCode.Ok;
}

/**
 * The emulator (`partner-center-sam/emulator`, CommonJS), loaded when a command needs it: a plain require, which the
 * command line's bundle keeps as it is (see cli/compiled-code.ts on why not import()).
 */
export function emulatorModule(): typeof import("partner-center-sam/emulator") {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("partner-center-sam/emulator") as typeof import("partner-center-sam/emulator");
}
