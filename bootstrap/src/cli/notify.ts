import { Command } from "commander";
import { catalogError } from "../core/error-catalogue";
import { ExitCode } from "../core/errors";
import type { NotifyTestOptions } from "../flows/notify-flow";
import { NOTIFY_ENV } from "../notify/targets";
import { addNotifyOptionTarget, reportDeliveries, resolveNotify } from "./notify-options";
import { OptionProblems } from "./options";
import type { Reporter } from "./reporter";
import { setRun } from "./run-command";
import { addJsonOption } from "./shared-options";

/** What `notify` runs with. */
export interface NotifyCommandOptions extends NotifyTestOptions {
  reporter: Reporter;
}

/**
 * `partner-center-sam notify --test`: declares and validates the flags, then
 * hands the options to `runF` (default {@link notifyRun}).
 */
export function notifyCommand(runF: (options: NotifyCommandOptions) => Promise<number> = notifyRun): Command {
  const command = new Command("notify")
    .summary("send a test notification to every configured target (--notify, PARTNER_CENTER_SAM_NOTIFY)")
    .description(
      `Send a test message to every notification target: the --notify options and ${NOTIFY_ENV}.\n` +
        "Exits 1 if any target could not be reached, 2 if none is configured.",
    )
    .option("--test", "send the test message (required: the only thing this command does)");
  addNotifyOptionTarget(command);
  addJsonOption(command);
  return setRun(
    command,
    (cmd, { reporter, signal }) => {
      const problems = new OptionProblems();
      if (cmd.opts<{ test?: boolean }>().test !== true) problems.add("pass --test: `notify` only sends a test message");
      const notify = resolveNotify(cmd, problems);
      problems.throwIfAny();
      if (!notify) throw catalogError("notify_no_targets");
      return runF({ targets: notify.targets, secret: notify.secret, reporter, signal });
    },
    { cancelOnSignals: true },
  );
}

/** Sends the test message and renders one line per target; exits 1 if any failed. */
export async function notifyRun(options: NotifyCommandOptions): Promise<number> {
  const { runNotifyTest } = await import("../flows/notify-flow.js");
  const { reporter } = options;
  reporter.step(`Sending a test notification to ${options.targets.length} target(s)`);
  const { results } = await runNotifyTest(options);
  reportDeliveries(reporter, results);
  const failed = results.filter((r) => !r.ok);
  if (failed.length) {
    reporter.annotate({ notifications: results });
    throw catalogError("notification_failed", {
      message: `${failed.length} of ${results.length} notification target(s) could not be reached: ${failed.map((r) => `${r.target} (${r.error})`).join("; ")}.`,
    });
  }
  reporter.result(
    results.map((r) => `✔ Sent a test notification to ${r.target}.`),
    { ok: true, notifications: results },
  );
  return ExitCode.Ok;
}
