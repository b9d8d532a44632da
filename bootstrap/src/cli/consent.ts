import { Command } from "commander";
import type { ConsentFlowOptions } from "../flows/call-flow";
import type { CustomerConsentResult } from "../flows/consent-flow";
import { ExitCode } from "../core/errors";
import type { Reporter } from "./reporter";
import { OptionProblems } from "./options";
import { setRun } from "./run-command";
import { addEndpointOptions, addJsonOption, addTargetOptions, addWaitOptions, resolveShared, type WaitDefaults } from "./shared-options";

const WAIT: WaitDefaults = { accessWait: 60, timeout: 300 };

/** What `consent` runs with: the flow's options and the reporter that prints the results. */
export interface ConsentCommandOptions extends ConsentFlowOptions {
  reporter: Reporter;
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/**
 * `partner-center-sam consent`: declares and validates the flags, then hands the
 * options to `runF` (default {@link consentRun}).
 */
export function consentCommand(runF: (options: ConsentCommandOptions) => Promise<number> = consentRun): Command {
  const command = new Command("consent")
    .summary("put the app into customer tenants (Partner Center applicationconsents), so customer tokens work")
    .description(
      "For each customer, POST <endpoint>/v1/customers/{customer}/applicationconsents with the app's client id and its " +
        "Microsoft Graph grants (the stack's customerGraphScopes), as Microsoft documents for Control Panel Vendor apps. " +
        "Needs a multi-tenant stack (multiTenant true). An existing consent is reported and kept unless --replace. " +
        "Exits 0 when every customer succeeded (or already had a consent), 1 when any failed, naming them.",
    )
    .option("--customer <id>", "a customer tenant id, repeatable", collect)
    .option("--all", "every customer from GET /v1/customers (all pages)")
    .option("--dry-run", "list what would be done; change nothing")
    .option("--replace", "replace an existing consent (DELETE, then POST) with the current scopes");
  addTargetOptions(command, { vaultUri: false });
  addEndpointOptions(command);
  addWaitOptions(command, WAIT);
  addJsonOption(command, "print one JSON document with a result per customer on stdout; progress goes to stderr");
  return setRun(
    command,
    (cmd, { reporter, signal }) => {
      const flags = cmd.opts<{ customer?: string[]; all?: boolean; dryRun?: boolean; replace?: boolean }>();
      const problems = new OptionProblems();
      const shared = resolveShared(cmd, problems, WAIT);
      if (flags.all && flags.customer?.length) problems.add("--all and --customer are alternatives: pass one of them");
      if (!flags.all && !flags.customer?.length) problems.add("name the customers with --customer ID (repeatable), or pass --all for every customer");
      problems.throwIfAny();
      return runF({
        ...shared,
        customers: flags.customer,
        all: flags.all === true,
        dryRun: flags.dryRun === true,
        replace: flags.replace === true,
        progress: reporter,
        reporter,
        signal,
        onResult: (result) => reporter.note(resultLine(result, flags.dryRun === true)),
      });
    },
    { cancelOnSignals: true },
  );
}

function resultLine(r: CustomerConsentResult, dryRun: boolean): string {
  switch (r.outcome) {
    case "consented":
      return `✔ ${r.customer}: consented`;
    case "replaced":
      return `✔ ${r.customer}: existing consent replaced`;
    case "exists":
      return `• ${r.customer}: already consented (kept; pass --replace to replace it)`;
    case "planned":
      return `• ${r.customer}: would consent${dryRun ? " (dry run)" : ""}`;
    case "failed":
      return `✖ ${r.customer}: FAILED, ${r.message ?? "unknown error"} (request id ${r.requestId ?? "-"}, correlation id ${r.correlationId ?? "-"})`;
  }
}

/** Runs the consent flow and prints one line per customer (or the --json array); exit 1 when any customer failed. */
export async function consentRun(options: ConsentCommandOptions): Promise<number> {
  const { runConsentFromStack } = await import("../flows/call-flow.js");
  const results = await runConsentFromStack(options);
  const failed = results.filter((r) => r.outcome === "failed");
  const count = (outcome: CustomerConsentResult["outcome"]) => results.filter((r) => r.outcome === outcome).length;
  const summary = options.dryRun
    ? `Dry run: would consent the app in ${results.length} customer${results.length === 1 ? "" : "s"}; nothing was changed.`
    : failed.length
      ? `✖ Consent failed for ${failed.length} of ${results.length} customer${results.length === 1 ? "" : "s"}: ${failed.map((r) => r.customer).join(", ")}.`
      : `✔ Consent done for ${results.length} customer${results.length === 1 ? "" : "s"}: ${count("consented")} consented, ${count("replaced")} replaced, ${count("exists")} already consented.`;
  options.reporter.result([summary], results);
  return failed.length ? ExitCode.Failure : ExitCode.Ok;
}
