/**
 * `--no-cache` and `--write-back`, the options of the commands that hand out
 * access tokens (`token`, `call`): whether the access token comes from (and goes
 * to) the user's shared token cache, and when the rotated refresh token is
 * written back to the vault. See docs/performance.md.
 */
import { Option, type Command } from "commander";
import { describeValue } from "../core/validate";
import { NO_CACHE_ENV, sharedCacheDisabled } from "../entra/token-cache";
import type { OptionProblems } from "./options";

/** The values `--write-back` accepts. */
export const WRITE_BACK_CHOICES = ["always", "daily", "never"] as const;

/** What the two options resolve to. */
export interface TokenCacheOptions {
  cache: "shared" | "memory";
  writeBack: (typeof WRITE_BACK_CHOICES)[number];
}

/** Declares `--no-cache` and `--write-back <when>`. */
export function addTokenCacheOptions(command: Command): Command {
  return command
    .option("--no-cache", `neither read nor fill the shared access-token cache (also ${NO_CACHE_ENV}=1)`)
    .addOption(
      new Option("--write-back <when>", "when to write the rotated refresh token back to the vault: daily (when the stored one is 24 h old or older), always, or never").default("daily"),
    );
}

/** Validates the two options into `problems` and returns them resolved. */
export function resolveTokenCacheOptions(command: Command, problems: OptionProblems): TokenCacheOptions {
  const flags = command.opts<{ cache?: boolean; writeBack?: string }>();
  const writeBack = flags.writeBack ?? "daily";
  if (!(WRITE_BACK_CHOICES as readonly string[]).includes(writeBack)) problems.add(`--write-back must be always, daily or never, got ${describeValue(writeBack)}`);
  return {
    cache: flags.cache === false || sharedCacheDisabled() ? "memory" : "shared",
    writeBack: (WRITE_BACK_CHOICES as readonly string[]).includes(writeBack) ? (writeBack as TokenCacheOptions["writeBack"]) : "daily",
  };
}
