import { Command } from "commander";
import { ExitCode } from "../core/errors";
import type { TokenInputStream } from "../core/secret-input";
import type { ImportTokenOptions } from "../flows/import-token-flow";
import type { Reporter } from "./reporter";
import { OptionProblems } from "./options";
import { setRun } from "./run-command";
import { addEndpointOptions, addJsonOption, addTargetOptions, addWaitOptions, resolveShared, type WaitDefaults } from "./shared-options";

const WAIT: WaitDefaults = { accessWait: 60, timeout: 120 };

/** What `import-token` runs with: the flow's options (but the token, still on `input`) and the reporter. */
export interface ImportTokenCommandOptions extends Omit<ImportTokenOptions, "refreshToken"> {
  /** Where the refresh token comes from: standard input, never an argument or a variable. */
  input: TokenInputStream;
  reporter: Reporter;
}

/**
 * `partner-center-sam import-token`: declares and validates the flags, then hands
 * the options to `runF` (default {@link importTokenRun}).
 */
export function importTokenCommand(runF: (options: ImportTokenCommandOptions) => Promise<number> = importTokenRun): Command {
  const command = new Command("import-token")
    .summary("store a refresh token you already have (New-PartnerAccessToken, CIPP), read from standard input")
    .description(
      "Bring an existing refresh token into the stack's Key Vault: it is read from standard input (never from an argument or a variable),\n" +
        "redeemed once with the stack's app to prove it works, belongs to this app and partner tenant and carries MFA, and the rotated token is stored.\n" +
        "Example: Get-Content token.txt | npx --no-install partner-center-sam import-token --outputs stack.json",
    );
  addTargetOptions(command, { vaultUri: true });
  addEndpointOptions(command);
  addWaitOptions(command, WAIT);
  command
    .option("--allow-no-mfa", "store the token even if it was obtained without MFA (Partner Center will reject it)")
    .option("--replace", "replace a healthy stored token consented by another user (changes whose identity every automation uses)")
    .option("--no-verify", "skip the Partner Center call that checks the new access token");
  addJsonOption(command);
  return setRun(
    command,
    (cmd, { reporter, signal }) => {
      const flags = cmd.opts<{ allowNoMfa?: boolean; replace?: boolean; verify: boolean }>();
      const problems = new OptionProblems();
      const shared = resolveShared(cmd, problems, WAIT);
      problems.throwIfAny();
      return runF({
        source: shared.source,
        accessWaitMs: shared.accessWaitMs,
        timeoutMs: shared.timeoutMs,
        allowNoMfa: flags.allowNoMfa === true,
        replace: flags.replace === true,
        verify: flags.verify,
        retryWithReplace: sameCommandWithReplace(cmd),
        input: process.stdin,
        progress: reporter,
        reporter,
        signal,
      });
    },
    { cancelOnSignals: true },
  );
}

/** Reads the token from standard input, runs the import flow and renders its result. */
export async function importTokenRun(options: ImportTokenCommandOptions): Promise<number> {
  const { readRefreshTokenInput } = await import("../core/secret-input.js");
  if (!options.input.isTTY) options.reporter.step("Reading the refresh token from standard input.");
  const refreshToken = await readRefreshTokenInput(options.input, { timeoutMs: options.timeoutMs, signal: options.signal });
  options.reporter.protect(refreshToken);
  const { runImportToken } = await import("../flows/import-token-flow.js");
  const { input: _input, ...flowOptions } = options;
  void _input;
  const result = await runImportToken({ ...flowOptions, refreshToken });
  options.reporter.result(
    [
      `✔ Imported: the rotated refresh token is stored in ${result.keyVaultUri} (secret "${result.secretName}", version ${result.version ?? "?"}).`,
      `  Consented by ${result.consentedBy}${result.mfa ? " with MFA" : " WITHOUT MFA"}; it expires on ${result.expiresOn} unless refreshed.`,
      ...(result.replaced ? [`  It replaced the token consented by ${result.replaced.consentedBy ?? "an unknown user"}${result.replaced.consentedAt ? ` on ${result.replaced.consentedAt}` : ""}.`] : []),
      result.organization ? `  Partner Center organization: ${result.organization.companyName} (${result.organization.id}).` : "  Partner Center check skipped (--no-verify).",
      "  The token you piped in still works until it expires: delete your copy of it. Next: schedule `partner-center-sam refresh` (at least monthly) and watch `partner-center-sam status`.",
    ],
    result,
  );
  return ExitCode.Ok;
}

/** This command line as the user typed its options, plus `--replace` (no secret is ever an option). */
function sameCommandWithReplace(cmd: Command): string {
  const parts = ["partner-center-sam", cmd.name()];
  for (const option of cmd.options) {
    const key = option.attributeName();
    if (cmd.getOptionValueSource(key) !== "cli") continue;
    const value: unknown = cmd.getOptionValue(key);
    if (option.negate) parts.push(option.long!);
    else if (typeof value === "string") parts.push(option.long!, /^[\w@%+=:,./-]+$/.test(value) ? value : JSON.stringify(value));
    else if (value === true) parts.push(option.long!);
  }
  return [...parts, "--replace"].join(" ");
}
