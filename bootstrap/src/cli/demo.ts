import { Command } from "commander";
import { ExitCode } from "../core/errors";
import { setRun } from "./run-command";
import { emulatorModule } from "./emulator";

/** What `demo` runs with. */
export interface DemoCommandOptions {
  unattended: boolean;
  signal: AbortSignal;
}

/**
 * `partner-center-sam demo` (`npm run demo`): declares the flags, then hands
 * them to `runF` (default {@link demoRun}).
 */
export function demoCommand(runF: (options: DemoCommandOptions) => Promise<number> = demoRun): Command {
  const command = new Command("demo")
    .summary("show the whole flow on this machine against the built-in emulator: no Azure, no Pulumi CLI, no network")
    .description(
      "Start the emulator, save the stack outputs `pulumi up` would have produced, then run status, bootstrap, status,\n" +
        "refresh, token and call one after another, printing each command line before its output. The sign-in opens the\n" +
        "system browser on the emulator's sign-in page; with --unattended, CI=true or no display the emulator completes it.\n" +
        "Exit 0 when every step behaved as expected, 1 otherwise.",
    )
    .option("--unattended", "let the emulator complete the sign-in instead of opening a browser");
  return setRun(
    command,
    async (cmd, { signal }) => {
      const { demoIsUnattended } = emulatorModule();
      return runF({ unattended: demoIsUnattended(cmd.opts<{ unattended?: boolean }>().unattended === true), signal: signal ?? new AbortController().signal });
    },
    { cancelOnSignals: true },
  );
}

/** Runs the demo; exit 0 when every step behaved as expected. */
export async function demoRun(options: DemoCommandOptions): Promise<number> {
  const { runDemo } = emulatorModule();
  const result = await runDemo(options);
  return result.ok ? ExitCode.Ok : ExitCode.Failure;
}
