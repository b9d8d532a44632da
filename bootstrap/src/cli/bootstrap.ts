#!/usr/bin/env node
import { Command } from "commander";
import { runBootstrap } from "../bootstrap-flow";
import { ExitCode } from "../errors";
import { loadStackOutputs } from "../stack-outputs";
import { describeValue } from "../validate";
import { checkEnvAuthorityHost, OptionProblems, type CommonFlags } from "./options";
import { exitWith, runCommand } from "./run-command";

interface BootstrapFlags extends CommonFlags {
  stack?: string;
  outputs?: string;
  browser: boolean;
  timeout?: string;
  loginHint?: string;
  allowNoMfa?: boolean;
  verify: boolean;
}

/** `npm run bootstrap`: one interactive MFA sign-in that stores the first refresh token in Key Vault. */
export function bootstrapCommand(): Command {
  return new Command("npm run bootstrap --")
    .description(
      "Sign in once, interactively and with MFA, and store the app's first Partner Center refresh token in the stack's Key Vault.\n" +
        "Reads the stack outputs from `pulumi stack output --json --show-secrets`, or from --outputs FILE.",
    )
    .option("--stack <name>", "Pulumi stack to read the outputs of (default: the selected stack)")
    .option("--outputs <file>", "read the stack outputs from this JSON file instead of running the Pulumi CLI")
    .option("--no-browser", "do not open a browser: print the sign-in URL and accept the redirected address pasted back (for SSH sessions)")
    .option("--timeout <seconds>", "give up if the sign-in has not finished after this many seconds (default 300)")
    .option("--login-hint <upn>", "pre-fill the account to sign in with; signing in as anyone else fails")
    .option("--access-wait <seconds>", "keep retrying Key Vault 403/429/5xx answers this long, e.g. while new role assignments propagate (default 600)")
    .option("--allow-no-mfa", "store the refresh token even if the sign-in did not use MFA (Partner Center will reject it)")
    .option("--no-verify", "skip the Partner Center call that checks the new token")
    .option("--json", "print one JSON document with the result on stdout; progress goes to stderr");
}

/** Runs the bootstrap command line and resolves to the exit code. */
export function main(argv: string[]): Promise<number> {
  return runCommand<BootstrapFlags>(bootstrapCommand(), argv, async (flags, reporter) => {
    const problems = new OptionProblems();
    const timeout = problems.integer("--timeout", flags.timeout, 300, 10, 3600);
    const accessWait = problems.integer("--access-wait", flags.accessWait, 600, 0, 3600);
    if (flags.stack !== undefined && flags.outputs !== undefined) problems.add("--stack and --outputs are alternatives: pass one of them");
    problems.nonEmpty("--stack", flags.stack, "a Pulumi stack (omit it to use the selected stack)");
    problems.nonEmpty("--outputs", flags.outputs, "a file");
    if (flags.loginHint !== undefined && !/^[^@\s]+@[^@\s]+$/.test(flags.loginHint)) problems.add(`--login-hint must be a user principal name such as admin@contoso.com, got ${describeValue(flags.loginHint)}`);
    const envAuthority = checkEnvAuthorityHost(problems);
    problems.throwIfAny();

    reporter.step(flags.outputs ? `Reading stack outputs from ${flags.outputs}` : `Reading stack outputs with \`pulumi stack output\`${flags.stack ? ` (stack ${flags.stack})` : ""}`);
    const outputs = await loadStackOutputs({ stack: flags.stack, outputsFile: flags.outputs });
    const result = await runBootstrap({
      outputs,
      accessWaitMs: accessWait * 1000,
      timeoutMs: timeout * 1000,
      noBrowser: !flags.browser,
      loginHint: flags.loginHint,
      allowNoMfa: flags.allowNoMfa === true,
      verify: flags.verify,
      authorityHost: envAuthority,
      openBrowser: async (url) => (await import("open")).default(url, { wait: false }),
      input: process.stdin,
      reporter,
    });
    reporter.result(
      [
        `✔ Stored the refresh token in ${result.keyVaultUri} (secret "${result.secretName}", version ${result.version ?? "?"}).`,
        `  Consented by ${result.consentedBy}${result.mfa ? " with MFA" : " WITHOUT MFA"}; it expires on ${result.expiresOn} unless refreshed.`,
        result.organization ? `  Partner Center organization: ${result.organization.companyName} (${result.organization.id}).` : "  Partner Center check skipped (--no-verify).",
        "  Next: schedule `npm run refresh` (at least monthly) and watch `npm run status`.",
      ],
      result,
    );
    return ExitCode.Ok;
  });
}

if (require.main === module) exitWith(main(process.argv));
