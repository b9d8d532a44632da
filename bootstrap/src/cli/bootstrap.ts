import { Command } from "commander";
import type { BootstrapFromSourceOptions } from "../flows/bootstrap-flow";
import { ExitCode } from "../core/errors";
import type { Reporter } from "./reporter";
import { describeValue } from "../core/validate";
import { OptionProblems } from "./options";
import { setRun } from "./run-command";
import { addEndpointOptions, addJsonOption, addTargetOptions, addWaitOptions, resolveShared, type WaitDefaults } from "./shared-options";

const WAIT: WaitDefaults = {
  accessWait: 600,
  accessWaitHelp: "keep retrying a Key Vault 403 this long while new role assignments propagate (throttling and 5xx have their own budget)",
  timeout: 300,
  timeoutMin: 10,
  timeoutHelp: "give up if the sign-in has not finished after this many seconds",
};

/** What `bootstrap` runs with: the flow's options and the reporter that renders the result. */
export interface BootstrapCommandOptions extends BootstrapFromSourceOptions {
  reporter: Reporter;
}

/**
 * `partner-center-sam bootstrap`: declares and validates the flags, then hands
 * the options to `runF` (default {@link bootstrapRun}).
 */
export function bootstrapCommand(runF: (options: BootstrapCommandOptions) => Promise<number> = bootstrapRun): Command {
  const command = new Command("bootstrap")
    .summary("sign in once, interactively and with MFA, and store the first refresh token in Key Vault")
    .description(
      "Sign in once, interactively and with MFA, and store the app's first Partner Center refresh token in the stack's Key Vault.\n" +
        "Reads the stack outputs from `pulumi stack output --json --show-secrets`, or from --outputs FILE.",
    );
  addTargetOptions(command, { vaultUri: false });
  addEndpointOptions(command);
  command
    .option("--no-browser", "do not open a browser: print the sign-in URL and accept the redirected address pasted back (for SSH sessions)")
    .option("--login-hint <upn>", "pre-fill the account to sign in with; signing in as anyone else fails");
  addWaitOptions(command, WAIT);
  command
    .option("--replace", "replace a healthy stored refresh token consented by someone else (without it, only a yes typed on a terminal does)")
    .option("--allow-no-mfa", "store the refresh token even if the sign-in did not use MFA (Partner Center will reject it)")
    .option("--no-verify", "skip the Partner Center call that checks the new token");
  addJsonOption(command);
  return setRun(command, (cmd, { reporter }) => {
    const flags = cmd.opts<{ browser: boolean; loginHint?: string; allowNoMfa?: boolean; verify: boolean; replace?: boolean }>();
    const problems = new OptionProblems();
    const shared = resolveShared(cmd, problems, WAIT);
    if (flags.loginHint !== undefined && !/^[^@\s]+@[^@\s]+$/.test(flags.loginHint)) problems.add(`--login-hint must be a user principal name such as admin@contoso.com, got ${describeValue(flags.loginHint)}`);
    problems.throwIfAny();
    return runF({
      source: shared.source,
      accessWaitMs: shared.accessWaitMs,
      timeoutMs: shared.timeoutMs,
      noBrowser: !flags.browser,
      loginHint: flags.loginHint,
      allowNoMfa: flags.allowNoMfa === true,
      replace: flags.replace === true,
      // Only a person at a terminal can answer; with --json, or in a pipe or scheduler, --replace is the way.
      confirm: process.stdin.isTTY && process.stderr.isTTY && !shared.json ? askYesNo : undefined,
      verify: flags.verify,
      // Loaded lazily, like the flow: other commands never load the sign-in code.
      openBrowser: async (url) => (await import("../sign-in/browser-environment.js")).openSystemBrowser(url),
      environment: { env: process.env, platform: process.platform },
      input: process.stdin,
      reporter,
    });
  });
}

/** Asks `question` on stderr and reads one line from stdin: true for y or yes. */
async function askYesNo(question: string): Promise<boolean> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createInterface } = require("node:readline/promises") as typeof import("node:readline/promises");
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return /^\s*y(es)?\s*$/i.test(await rl.question(question));
  } finally {
    rl.close();
  }
}

/** Runs the bootstrap flow and renders its result. */
export async function bootstrapRun(options: BootstrapCommandOptions): Promise<number> {
  const { bootstrapFromSource } = await import("../flows/bootstrap-flow.js");
  const result = await bootstrapFromSource(options);
  options.reporter.result(
    [
      `✔ Stored the refresh token in ${result.keyVaultUri} (secret "${result.secretName}", version ${result.version ?? "?"}).`,
      `  Consented by ${result.consentedBy}${result.mfa ? " with MFA" : " WITHOUT MFA"}; it expires on ${result.expiresOn} unless refreshed.`,
      result.organization
        ? `  Partner Center organization: ${result.organization.companyName} (${result.organization.id}).`
        : result.verification === "pending"
          ? `! Verification pending: Partner Center could not check the token (${result.verificationError?.code ?? "no answer"}). Verify it later with \`partner-center-sam status --probe\` (redeems it once) or \`partner-center-sam refresh\` (also asks Partner Center); no new sign-in is needed.`
          : "  Partner Center check skipped (--no-verify).",
      "  Next: schedule `partner-center-sam refresh` (at least monthly) and watch `partner-center-sam status`.",
    ],
    result,
  );
  // Stored, but not yet proven to work with Partner Center: a person should look (exit 3).
  return result.verification === "pending" ? ExitCode.ActionNeeded : ExitCode.Ok;
}
