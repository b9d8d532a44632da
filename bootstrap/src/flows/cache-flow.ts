/**
 * The flow behind `partner-center-sam cache clear`: empties the shared
 * access-token cache (see entra/token-cache.ts). The refresh token in the vault
 * is not touched; the next `token` or `call` redeems it again.
 */
import { catalogError } from "../core/error-catalogue";
import { SharedTokenCache } from "../entra/token-cache";

/** Options of {@link runCacheClear}. */
export interface CacheClearOptions {
  /** The cache folder; default the user's (see defaultCacheFolder). */
  folder?: string;
}

/** What `cache clear` reports. */
export interface CacheClearResult {
  folder: string;
  /** How many cached access tokens were removed. */
  removed: number;
}

/** Removes every cached access token; throws `token_cache_unusable` when the folder is not one this user owns. */
export function runCacheClear(options: CacheClearOptions = {}): CacheClearResult {
  const cache = new SharedTokenCache({ folder: options.folder });
  try {
    return { folder: cache.folder, removed: cache.clear() };
  } catch (error) {
    throw catalogError("token_cache_unusable", {
      message: `The token cache folder ${cache.folder} cannot be emptied: ${error instanceof Error ? error.message : String(error)}.`,
      cause: error,
      hint: `Remove or fix it yourself (it holds only access tokens): \`rm -r ${cache.folder}\`; the commands create it again, owner-only.`,
    });
  }
}
