import { Argument, Command } from "commander";
import { ExitCode } from "../core/errors";
import type { Reporter } from "./reporter";
import { setRun } from "./run-command";
import { addJsonOption } from "./shared-options";

/** What `cache` runs with. */
export interface CacheCommandOptions {
  action: "clear";
  reporter: Reporter;
}

/**
 * `partner-center-sam cache clear`: empties the shared access-token cache that
 * `token` and `call` fill (like `az account clear` drops the Azure CLI's token cache).
 */
export function cacheCommand(runF: (options: CacheCommandOptions) => Promise<number> = cacheRun): Command {
  const command = new Command("cache")
    .summary("empty the shared access-token cache that token and call fill (cache clear)")
    .description(
      "Remove every access token cached in the user's cache folder ($XDG_CACHE_HOME/partner-center-sam, ~/Library/Caches/partner-center-sam on macOS,\n" +
        "%LOCALAPPDATA%\\partner-center-sam on Windows). The refresh token in the vault is not touched; the next token or call redeems it again.",
    )
    .addArgument(new Argument("<action>", "what to do with the cache").choices(["clear"]));
  addJsonOption(command, 'print { "ok", "folder", "removed" } on stdout');
  return setRun(command, (_cmd, { reporter }) => runF({ action: "clear", reporter }));
}

/** Runs `cache clear` and says how many tokens were removed from where. */
export async function cacheRun(options: CacheCommandOptions): Promise<number> {
  const { runCacheClear } = await import("../flows/cache-flow.js");
  const result = runCacheClear();
  options.reporter.result([`Removed ${result.removed} cached access token(s) from ${result.folder}.`], { ok: true, ...result });
  return ExitCode.Ok;
}
