/**
 * The options several commands share, declared once here and resolved once by
 * {@link resolveShared}: where the vault is, which endpoints to use, `--json`
 * and the wait options. A command adds the groups it needs.
 */
import { Option, type Command } from "commander";
import type { TargetSource } from "../vault/vault-target";
import { OptionProblems } from "./options";

/** The defaults and bounds of a command's `--access-wait` and `--timeout` (seconds). */
export interface WaitDefaults {
  accessWait: number;
  /** Help text of `--access-wait`. */
  accessWaitHelp?: string;
  timeout: number;
  /** Smallest accepted `--timeout`. */
  timeoutMin?: number;
  /** Help text of `--timeout`. */
  timeoutHelp?: string;
}

/** The raw values of the shared options, as commander parsed them. */
export interface SharedFlags {
  stack?: string;
  outputs?: string;
  vaultUri?: string;
  authorityHost?: string;
  partnerCenterEndpoint?: string;
  graphEndpoint?: string;
  accessWait?: string | number;
  timeout?: string | number;
  json?: boolean;
}

/** The shared options after validation. */
export interface SharedOptions {
  source: TargetSource;
  accessWaitMs: number;
  timeoutMs: number;
  json: boolean;
}

/** The environment variable `--authority-host` falls back to. */
export const AUTHORITY_HOST_ENV = "AZURE_AUTHORITY_HOST";

/** `--stack`, `--outputs` and (with `vaultUri`) `--vault-uri`: where to find the vault. */
export function addTargetOptions(command: Command, options: { vaultUri: boolean }): Command {
  command
    .option("--stack <name>", "Pulumi stack to read the outputs of (default: the selected stack)")
    .option("--outputs <file>", "read the stack outputs from this JSON file instead of running the Pulumi CLI");
  if (options.vaultUri) command.option("--vault-uri <uri>", "use this Key Vault directly, with the default secret names (no Pulumi CLI needed)");
  return command;
}

/** `--authority-host` (or AZURE_AUTHORITY_HOST) and `--partner-center-endpoint`. */
export function addEndpointOptions(command: Command): Command {
  return command
    .addOption(new Option("--authority-host <url>", "Entra ID authority host (default: the stack output, or https://login.microsoftonline.com)").env(AUTHORITY_HOST_ENV))
    .option("--partner-center-endpoint <url>", "Partner Center endpoint (default: the stack output, or https://api.partnercenter.microsoft.com)");
}

/** `--graph-endpoint`, for the commands that call Microsoft Graph (the `graph` scope alias, `call`'s host rule, the sweep). */
export function addGraphEndpointOption(command: Command): Command {
  return command.option(
    "--graph-endpoint <url>",
    "Microsoft Graph endpoint, e.g. https://graph.microsoft.us in a sovereign cloud (default: the stack output graphEndpoint, or https://graph.microsoft.com)",
  );
}

/** `--access-wait` and `--timeout`, with the command's defaults. */
export function addWaitOptions(command: Command, defaults: WaitDefaults): Command {
  return command
    .addOption(
      new Option("--access-wait <seconds>", defaults.accessWaitHelp ?? "keep retrying a Key Vault 403 this long while a new role assignment propagates").default(defaults.accessWait),
    )
    .addOption(new Option("--timeout <seconds>", defaults.timeoutHelp ?? "give up after this many seconds, plus --access-wait").default(defaults.timeout));
}

/** `--json`. */
export function addJsonOption(command: Command, help = "print one JSON document with the result on stdout; progress goes to stderr"): Command {
  return command.option("--json", help);
}

/**
 * Validates the shared options the command declared, recording problems in
 * `problems` (so they are reported together with the command's own), and
 * returns them resolved. Call `problems.throwIfAny()` afterwards.
 */
export function resolveShared(command: Command, problems: OptionProblems, wait: WaitDefaults): SharedOptions {
  const flags = command.opts<SharedFlags>();
  if (flags.vaultUri !== undefined && (flags.stack !== undefined || flags.outputs !== undefined)) {
    problems.add("--vault-uri cannot be combined with --stack or --outputs: pass one way to find the vault");
  }
  if (flags.stack !== undefined && flags.outputs !== undefined) problems.add("--stack and --outputs are alternatives: pass one of them");
  problems.nonEmpty("--stack", flags.stack, "a Pulumi stack (omit it to use the selected stack)");
  problems.nonEmpty("--outputs", flags.outputs, "a file");
  const vaultUri = flags.vaultUri === undefined ? undefined : problems.keyVaultUri("--vault-uri", flags.vaultUri);
  const fromEnv = command.getOptionValueSource("authorityHost") === "env";
  // An empty AZURE_AUTHORITY_HOST counts as unset.
  const rawAuthority = fromEnv && flags.authorityHost === "" ? undefined : flags.authorityHost;
  const authorityHost = problems.authorityHost(fromEnv ? `${AUTHORITY_HOST_ENV} (environment)` : "--authority-host", rawAuthority);
  const partnerCenterEndpoint = problems.httpsUrl("--partner-center-endpoint", flags.partnerCenterEndpoint);
  const graphEndpoint = problems.graphEndpoint("--graph-endpoint", flags.graphEndpoint);
  // A wrong AZURE_AUTHORITY_HOST is reported even when --authority-host overrides it: other tools read it too.
  const env = process.env[AUTHORITY_HOST_ENV];
  if (!fromEnv && env && command.options.some((o) => o.envVar === AUTHORITY_HOST_ENV)) problems.authorityHost(`${AUTHORITY_HOST_ENV} (environment)`, env);
  const accessWait = problems.integer("--access-wait", flags.accessWait, wait.accessWait, 0, 3600);
  const timeout = problems.integer("--timeout", flags.timeout, wait.timeout, wait.timeoutMin ?? 1, 3600);
  return {
    source: { vaultUri, stack: flags.stack, outputsFile: flags.outputs, authorityHost, partnerCenterEndpoint, ...(graphEndpoint ? { graphEndpoint } : {}) },
    accessWaitMs: accessWait * 1000,
    timeoutMs: timeout * 1000,
    json: flags.json === true,
  };
}
