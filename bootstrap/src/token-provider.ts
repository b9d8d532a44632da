import type { TokenCredential } from "@azure/core-auth";
import { DEFAULT_SECRET_NAMES, PUBLIC_AUTHORITY_HOST, PUBLIC_PARTNER_CENTER_ENDPOINT, partnerCenterScope, type SecretNames } from "./contract";
import { RefreshTokenRotator } from "./refresh-token-rotator";
import { checkUrl, URL_RULES, urlProblem, type UrlRule } from "./validate";
import { VaultStore } from "./vault-store";

/** Options for {@link createTokenProvider}. Only `keyVaultUri` is required. */
export interface TokenProviderOptions {
  /** The stack's `keyVaultUri` output, e.g. https://kv-name.vault.azure.net/. */
  keyVaultUri: string;
  /** The stack's `secretNames` output; defaults to the stack's default names. */
  secretNames?: Partial<SecretNames>;
  /** Credential for Key Vault; defaults to DefaultAzureCredential. */
  credential?: TokenCredential;
  /** Entra ID authority host; defaults to AZURE_AUTHORITY_HOST or the public cloud. */
  authorityHost?: string;
  /** Partner Center endpoint, for the default scope; defaults to the public endpoint. */
  partnerCenterEndpoint?: string;
  /** Access tokens are reused until this long before they expire (ms). Default 5 minutes. */
  expiryMarginMs?: number;
  /** How long to keep retrying a Key Vault 403 while a role assignment may still be propagating (ms). Default 30 seconds. */
  accessWaitMs?: number;
  /** How long to keep retrying transient Key Vault failures — 429, 5xx, resets, timeouts (ms). Default 30 seconds. */
  transientBudgetMs?: number;
  /** Timeout of one request to Key Vault, Entra ID or the Azure credential (ms). Default 30 seconds. */
  requestTimeoutMs?: number;
  /**
   * Called when a redemption worked but the rotated refresh token could not be
   * written back to the vault. The access token is still returned (and cached);
   * the stored refresh token stays valid, and the next redemption writes again.
   * Default: `process.emitWarning` with the error's message.
   */
  onStoreFailure?: (error: Error) => void;
}

interface CachedToken {
  token: string;
  /** Reuse until this time (ms since epoch). */
  reuseUntil: number;
}

/**
 * Hands out Partner Center (or other delegated) access tokens to automation code.
 * Each redemption writes the rotated refresh token back to the vault; access
 * tokens are cached per scope set; concurrent callers share one redemption.
 */
export class TokenProvider {
  /** The scope `getAccessToken()` uses when called without scopes. */
  readonly defaultScopes: readonly string[];
  private readonly rotator: RefreshTokenRotator;
  private readonly onStoreFailure: (error: Error) => void;
  private readonly expiryMarginMs: number;
  private readonly cache = new Map<string, CachedToken>();
  private readonly inFlight = new Map<string, Promise<string>>();
  /** Redemptions run one after another: each one needs the token the previous one stored. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: TokenProviderOptions) {
    if (!options?.keyVaultUri) throw new TypeError("createTokenProvider: keyVaultUri is required (the stack's keyVaultUri output).");
    checkedUrl("keyVaultUri", options.keyVaultUri, URL_RULES.keyVaultUri);
    const endpoint = checkedUrl("partnerCenterEndpoint", options.partnerCenterEndpoint ?? PUBLIC_PARTNER_CENTER_ENDPOINT, URL_RULES.partnerCenterEndpoint);
    const authorityHost = options.authorityHost
      ? checkedUrl("authorityHost", options.authorityHost, URL_RULES.authorityHost)
      : process.env.AZURE_AUTHORITY_HOST
        ? checkedUrl("AZURE_AUTHORITY_HOST (environment)", process.env.AZURE_AUTHORITY_HOST, URL_RULES.authorityHost)
        : PUBLIC_AUTHORITY_HOST;
    this.defaultScopes = Object.freeze([partnerCenterScope(endpoint)]);
    this.expiryMarginMs = options.expiryMarginMs ?? 5 * 60 * 1000;
    const store = new VaultStore({
      keyVaultUri: options.keyVaultUri,
      secretNames: { ...DEFAULT_SECRET_NAMES, ...options.secretNames },
      credential: options.credential,
      accessWaitMs: options.accessWaitMs ?? 30_000,
      transientBudgetMs: options.transientBudgetMs,
      requestTimeoutMs: options.requestTimeoutMs,
    });
    this.rotator = new RefreshTokenRotator({
      store,
      authorityHost,
      onStoreFailure: "return",
      network: { requestTimeoutMs: options.requestTimeoutMs },
    });
    this.onStoreFailure = options.onStoreFailure ?? ((error) => process.emitWarning(error.message, { code: "PCSAM_REFRESH_TOKEN_NOT_STORED" }));
  }

  /**
   * Resolves to an access token for `scopes` (default: Partner Center's
   * user_impersonation). Throws ConsentRequiredError when a new interactive
   * consent is needed.
   */
  getAccessToken(scopes: readonly string[] = this.defaultScopes): Promise<string> {
    // Bad arguments reject like every other failure; callers awaiting it never see a synchronous throw.
    if (!Array.isArray(scopes) || scopes.length === 0 || !scopes.every((s) => typeof s === "string" && s.trim() !== "" && !/\s/.test(s))) {
      return Promise.reject(new TypeError("getAccessToken: scopes must be a non-empty array of scope strings without spaces, e.g. [\"https://api.partnercenter.microsoft.com/user_impersonation\"]."));
    }
    const key = scopeKey(scopes);
    const cached = this.cache.get(key);
    if (cached && cached.reuseUntil > Date.now()) return Promise.resolve(cached.token);
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const redemption = this.enqueue(() => this.redeem(key, [...scopes])).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, redemption);
    return redemption;
  }

  /** Forgets cached access tokens, so the next call redeems again. */
  clearCache(): void {
    this.cache.clear();
  }

  private async redeem(key: string, scopes: string[]): Promise<string> {
    const cached = this.cache.get(key);
    if (cached && cached.reuseUntil > Date.now()) return cached.token;
    const result = await this.rotator.redeem(scopes);
    if (result.storeError) this.onStoreFailure(result.storeError);
    this.cache.set(key, { token: result.accessToken, reuseUntil: result.expiresOn.getTime() - this.expiryMarginMs });
    return result.accessToken;
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** Creates a {@link TokenProvider}; only `keyVaultUri` is required. */
export function createTokenProvider(options: TokenProviderOptions): TokenProvider {
  return new TokenProvider(options);
}

/** Checks a URL option with the commands' URL check; throws a TypeError naming the option (never showing a password). */
function checkedUrl(name: string, value: string, rule: UrlRule): string {
  const check = checkUrl(value, rule);
  if (!check.ok) throw new TypeError(`createTokenProvider: ${urlProblem(name, check, rule)}.`);
  return check.normalized;
}

function scopeKey(scopes: readonly string[]): string {
  return scopes.length === 1 ? scopes[0]! : [...scopes].sort().join(" ");
}
