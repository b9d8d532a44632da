import type { Command } from "commander";

/**
 * Adds the options refresh and status use to find the vault; with `endpoints`,
 * also the Entra ID and Partner Center endpoint overrides (refresh calls both).
 */
export function addTargetOptions(command: Command, endpoints: boolean): Command {
  command
    .option("--stack <name>", "Pulumi stack to read the outputs of (default: the selected stack)")
    .option("--outputs <file>", "read the stack outputs from this JSON file instead of running the Pulumi CLI")
    .option("--vault-uri <uri>", "use this Key Vault directly, with the default secret names (no Pulumi CLI needed)");
  if (!endpoints) return command;
  return command
    .option("--authority-host <url>", "Entra ID authority host (default: AZURE_AUTHORITY_HOST, the stack output, or https://login.microsoftonline.com)")
    .option("--partner-center-endpoint <url>", "Partner Center endpoint (default: the stack output, or https://api.partnercenter.microsoft.com)");
}
