import { Command } from "commander";
import { ExitCode } from "../core/errors";
import type { RefreshOptions } from "../flows/refresh-flow";
import type { Reporter } from "./reporter";
import { addNotifyOptions, resolveNotify, runNotifying, type NotifySettings } from "./notify-options";
import { OptionProblems } from "./options";
import { setRun } from "./run-command";
import { addEndpointOptions, addJsonOption, addTargetOptions, addWaitOptions, resolveShared, type WaitDefaults } from "./shared-options";

const WAIT: WaitDefaults = { accessWait: 60, timeout: 120 };

/** What `refresh` runs with: the flow's options and the reporter that renders the result. */
export interface RefreshCommandOptions extends RefreshOptions {
  reporter: Reporter;
  /** Where to send a notification, and when; undefined for none. */
  notify?: NotifySettings;
}

/**
 * `partner-center-sam refresh`: declares and validates the flags, then hands
 * the options to `runF` (default {@link refreshRun}).
 */
export function refreshCommand(runF: (options: RefreshCommandOptions) => Promise<number> = refreshRun): Command {
  const command = new Command("refresh")
    .summary("redeem the stored refresh token and store the rotated one (run it at least every 90 days)")
    .description(
      "Redeem the refresh token stored in Key Vault and store the new one it returns, so the token stays alive.\n" +
        "Finds the vault through the stack outputs, or through --vault-uri alone (for jobs without the Pulumi CLI).",
    );
  addTargetOptions(command, { vaultUri: true });
  addEndpointOptions(command);
  addWaitOptions(command, WAIT);
  command.option("--no-verify", "skip the Partner Center call that checks the new access token");
  addNotifyOptions(command);
  addJsonOption(command);
  return setRun(
    command,
    (cmd, { reporter, signal }) => {
      const problems = new OptionProblems();
      const shared = resolveShared(cmd, problems, WAIT);
      const notify = resolveNotify(cmd, problems);
      problems.throwIfAny();
      return runF({ ...shared, verify: cmd.opts<{ verify: boolean }>().verify, progress: reporter, reporter, signal, notify });
    },
    { cancelOnSignals: true },
  );
}

/** Runs the refresh flow and renders its result. */
export async function refreshRun(options: RefreshCommandOptions): Promise<number> {
  const { runRefresh } = await import("../flows/refresh-flow.js");
  const { notify } = options;
  const { value: result, notifications } = await runNotifying(
    notify,
    { command: "refresh", source: options.source, reporter: options.reporter, signal: options.signal },
    () => runRefresh(options),
    (r) => ({ exitCode: ExitCode.Ok, summary: `Refreshed: the new refresh token is stored and expires on ${r.refreshTokenExpiresOn} unless used again.`, actions: [], keyVaultUri: r.keyVaultUri }),
  );
  options.reporter.result(
    [
      `✔ Refreshed: the new refresh token is stored (version ${result.version ?? "?"}) and expires on ${result.refreshTokenExpiresOn} unless used again.`,
      `  Consented by ${result.consentedBy} on ${result.consentedAt}.`,
      result.organization ? `  Partner Center organization: ${result.organization.companyName} (${result.organization.id}).` : "  Partner Center check skipped (--no-verify).",
    ],
    notify ? { ...result, notifications } : result,
  );
  return ExitCode.Ok;
}
