import { Command } from "commander";
import { ExitCode } from "../core/errors";
import type { Reporter } from "./reporter";
import type { TokenFlowOptions } from "../flows/token-flow";
import { describeValue } from "../core/validate";
import { OptionProblems } from "./options";
import { setRun } from "./run-command";
import { addEndpointOptions, addJsonOption, addTargetOptions, addWaitOptions, resolveShared, type WaitDefaults, addGraphEndpointOption } from "./shared-options";
import { addTokenCacheOptions, resolveTokenCacheOptions } from "./token-cache-options";

const WAIT: WaitDefaults = { accessWait: 60, timeout: 120 };

/** `--scope` aliases, as the help lists them. */
const ALIASES = ["graph", "partner-center"];
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/** What `token` runs with: the flow's options and the reporter that prints the token. */
export interface TokenCommandOptions extends TokenFlowOptions {
  reporter: Reporter;
}

/**
 * `partner-center-sam token`: declares and validates the flags, then hands the
 * options to `runF` (default {@link tokenRun}). Progress goes to stderr only
 * when stderr is a terminal, so `$(npm run --silent token)` captures the token alone.
 */
export function tokenCommand(runF: (options: TokenCommandOptions) => Promise<number> = tokenRun): Command {
  const command = new Command("token")
    .summary("print an access token (Partner Center by default) for other tools, like `az account get-access-token`")
    .description(
      "Redeem the stored refresh token and print the access token alone on stdout, for other tools (curl, PowerShell, Python, .NET).\n" +
        "A valid access token from the shared token cache is printed without any request (--no-cache turns that off); the rotated refresh token is written back to the vault once a day (--write-back). Progress goes to stderr, and only when it is a terminal.",
    )
    .option("--scope <scope>", "a scope to request, repeatable: graph (https://graph.microsoft.com/.default), partner-center (the default) or a full scope URI", (value: string, previous: string[] | undefined) => [...(previous ?? []), value])
    .option("--tenant <tenant>", "a customer tenant (id or verified domain) to get the token in; default the partner's own tenant");
  addTargetOptions(command, { vaultUri: true });
  addEndpointOptions(command);
  addGraphEndpointOption(command);
  addWaitOptions(command, WAIT);
  addTokenCacheOptions(command);
  addJsonOption(command, 'print { "accessToken", "tokenType", "expiresOn", "tenantId", "scopes" } on stdout instead of the token alone');
  return setRun(
    command,
    (cmd, { reporter, signal }) => {
      const flags = cmd.opts<{ scope?: string[]; tenant?: string }>();
      const problems = new OptionProblems();
      const shared = resolveShared(cmd, problems, WAIT);
      const caching = resolveTokenCacheOptions(cmd, problems);
      for (const scope of flags.scope ?? []) {
        if (!ALIASES.includes(scope) && !/^(https|api):\/\/[^\s/]+\/?\S*$/.test(scope)) {
          problems.add(`--scope must be graph, partner-center or a full scope URI such as https://graph.microsoft.com/.default, got ${describeValue(scope)}`);
        }
      }
      if (flags.tenant !== undefined && !GUID.test(flags.tenant) && !DOMAIN.test(flags.tenant)) {
        problems.add(`--tenant must be a tenant id (a GUID) or a verified domain such as contoso.onmicrosoft.com, got ${describeValue(flags.tenant)}`);
      }
      problems.throwIfAny();
      return runF({ ...shared, ...caching, scopes: flags.scope, tenantId: flags.tenant, progress: reporter, reporter, signal });
    },
    { cancelOnSignals: true, progress: process.stderr.isTTY === true },
  );
}

/** Runs the token flow and prints the token (or the --json document) on stdout. */
export async function tokenRun(options: TokenCommandOptions): Promise<number> {
  const { runToken } = await import("../flows/token-flow.js");
  const token = await runToken(options);
  options.reporter.secretResult(token.accessToken, token);
  return ExitCode.Ok;
}
