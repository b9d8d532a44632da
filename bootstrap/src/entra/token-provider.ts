import type { TokenCredential } from "@azure/core-auth";
import { ApiClient, HTTP_METHODS, type HttpMethod } from "../partner-center/api-client";
import { partnerCenterInCustomerTenant } from "./customer-tenant-scope";
import { DEFAULT_SECRET_NAMES, PUBLIC_AUTHORITY_HOST, PUBLIC_PARTNER_CENTER_ENDPOINT, partnerCenterScope, type SecretNames } from "../core/contract";
import { abortError, catalogError } from "../core/error-catalogue";
import type { RefreshTokenRotator, WriteBack } from "./refresh-token-rotator";
import { SharedTokenCache, sharedCacheDisabled, type TokenCacheKey } from "./token-cache";
import { checkUrl, URL_RULES, urlProblem, type UrlRule } from "../core/validate";
import { assertDistinctSecretNames } from "../core/validate";

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
  /** Microsoft Graph's endpoint (`fetch` infers Graph's scope for it); defaults to https://graph.microsoft.com. */
  graphEndpoint?: string;
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
  /**
   * Where access tokens are kept between calls: `memory` (default) in this
   * provider only; `shared` also in the user's token cache folder, which every
   * process of the user reads (as `partner-center-sam token` and `call` do), so a
   * token outlives the process. PARTNER_CENTER_SAM_NO_CACHE=1 turns `shared` off.
   */
  cache?: "shared" | "memory";
  /** The shared cache's folder; default the user's cache folder (see docs/performance.md). */
  cacheFolder?: string;
  /** Told about a token-cache problem (a bad file, an unsafe folder), one line each. Default `process.emitWarning`. */
  onCacheWarning?: (message: string) => void;
  /**
   * When a redemption in the partner's tenant writes the rotated refresh token
   * back: `daily` (default) only when the stored one is 24 hours old or older,
   * `always` every time, `never` not at all. Entra ID keeps every issued refresh
   * token valid for its own lifetime, so skipping a write loses nothing.
   */
  writeBack?: WriteBack;
}

/** An access token with what it is for, as {@link TokenProvider.getToken} returns it. */
export interface AccessTokenInfo {
  accessToken: string;
  tokenType: "Bearer";
  expiresOn: Date;
  /** The tenant the token was issued in. */
  tenantId: string;
  /** The scopes Entra ID granted. */
  scopes: string[];
}

/** What {@link TokenProvider.getToken} (and {@link TokenProvider.getAccessToken}) is asked for. */
export interface TokenRequest {
  /** Default: Partner Center's user_impersonation. */
  scopes?: readonly string[];
  /**
   * A customer tenant, by tenant id (GUID) or verified domain: the partner's
   * refresh token is redeemed at `<authorityHost>/<tenant>` (GDAP, App+User), and
   * the refresh token that tenant returns is never stored. Default: the partner's own tenant.
   */
  tenantId?: string;
  /** Do not return the cached token (e.g. after a 401); concurrent callers still share one redemption. */
  forceRefresh?: boolean;
  /**
   * Gives up waiting: the call rejects at once with a SamError — `cancelled`
   * (or `token_timeout` when the reason is a command's deadline; the signal's own
   * reason when that is a SamError). Other callers waiting for the same token are
   * not affected; the redemption itself (vault reads, the request to Entra ID) is
   * aborted only when every caller waiting for it has given up. Once Entra ID has
   * answered, the rotated refresh token is written back whatever the signal says.
   */
  signal?: AbortSignal;
}

/** The request part of {@link TokenProvider.fetch}, as for `fetch` (the body as a string). */
export interface ProviderFetchInit {
  /** GET (default), POST, PUT, PATCH or DELETE. */
  method?: string;
  body?: string;
  /** Extra headers; the provider sets Authorization, MS-RequestId and MS-CorrelationId. */
  headers?: Record<string, string> | Array<[string, string]> | Headers;
}

/** One redemption that callers share, and how many of them could still give up on it. */
interface Flight {
  promise: Promise<AccessTokenInfo>;
  /** Aborts the redemption, once every caller waiting for it gave up. */
  controller: AbortController;
  /** Callers still waiting; one without a signal never leaves, so the redemption is never aborted. */
  waiting: number;
}

/** The options of {@link TokenProvider.fetch}. */
export interface ProviderFetchOptions {
  /** A customer tenant to get the token from (as in {@link TokenRequest}). */
  tenantId?: string;
  /** Scopes for the token; default inferred from the host (required for other hosts). */
  scopes?: readonly string[];
  /** Gives up: the request, its retries and the token it waits for are aborted, and it rejects with a `cancelled` SamError. */
  signal?: AbortSignal;
}

interface CachedToken {
  info: AccessTokenInfo;
  /** Reuse until this time (ms since epoch). */
  reuseUntil: number;
}

/**
 * Hands out Partner Center (or other delegated) access tokens to automation code,
 * for the partner's tenant or a customer tenant (GDAP). Each redemption in the
 * partner's tenant writes the rotated refresh token back to the vault; one in a
 * customer tenant writes nothing. Access tokens are cached per (tenant, scope set);
 * concurrent callers for the same pair share one redemption.
 */
export class TokenProvider {
  /** The scope `getAccessToken()` uses when called without scopes. */
  readonly defaultScopes: readonly string[];
  /** Built on the first redemption: a token served from a cache loads neither MSAL nor the Key Vault client. */
  private rotatorLoad?: Promise<RefreshTokenRotator>;
  private readonly openRotator: () => Promise<RefreshTokenRotator>;
  private readonly onStoreFailure: (error: Error) => void;
  private readonly expiryMarginMs: number;
  private readonly cache = new Map<string, CachedToken>();
  private readonly inFlight = new Map<string, Flight>();
  /**
   * Redemptions in the partner's tenant run one after another: each one writes
   * back the token the next one reads. Customer-tenant redemptions write nothing,
   * so they run concurrently, outside this queue.
   */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly api: ApiClient;
  private readonly partnerCenterEndpoint: string;
  private readonly shared?: SharedTokenCache;
  private readonly keyVaultUri: string;
  private readonly authorityHost: string;

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
    this.partnerCenterEndpoint = endpoint;
    this.expiryMarginMs = options.expiryMarginMs ?? 5 * 60 * 1000;
    this.keyVaultUri = options.keyVaultUri;
    this.authorityHost = authorityHost;
    if (options.cache !== undefined && options.cache !== "shared" && options.cache !== "memory") throw new TypeError('createTokenProvider: cache must be "shared" or "memory".');
    if (options.writeBack !== undefined && !["always", "daily", "never"].includes(options.writeBack)) throw new TypeError('createTokenProvider: writeBack must be "always", "daily" or "never".');
    if (options.cache === "shared" && !sharedCacheDisabled()) {
      this.shared = new SharedTokenCache({ folder: options.cacheFolder, warn: options.onCacheWarning, expiryMarginMs: this.expiryMarginMs });
    }
    const secretNames = { ...DEFAULT_SECRET_NAMES, ...options.secretNames };
    assertDistinctSecretNames(secretNames, "createTokenProvider");
    this.openRotator = async () => {
      const [{ RefreshTokenRotator }, { VaultStore }] = await Promise.all([import("./refresh-token-rotator.js"), import("../vault/vault-store.js")]);
      const store = new VaultStore({
        keyVaultUri: options.keyVaultUri,
        secretNames,
        credential: options.credential,
        accessWaitMs: options.accessWaitMs ?? 30_000,
        transientBudgetMs: options.transientBudgetMs,
        requestTimeoutMs: options.requestTimeoutMs,
      });
      return new RefreshTokenRotator({ store, authorityHost, writeBack: options.writeBack ?? "daily", onStoreFailure: "return", network: { requestTimeoutMs: options.requestTimeoutMs } });
    };
    this.onStoreFailure = options.onStoreFailure ?? ((error) => process.emitWarning(error.message, { code: "PCSAM_REFRESH_TOKEN_NOT_STORED" }));
    this.api = new ApiClient({
      partnerCenterEndpoint: endpoint,
      ...(options.graphEndpoint ? { graphEndpoint: checkedUrl("graphEndpoint", options.graphEndpoint, URL_RULES.graphEndpoint) } : {}),
      requestTimeoutMs: options.requestTimeoutMs,
      transientBudgetMs: options.transientBudgetMs,
      getToken: ({ scopes, tenantId, forceRefresh, signal }) => this.getAccessToken({ scopes, tenantId, forceRefresh, signal }),
    });
  }

  /**
   * `fetch` with this provider's token, as `partner-center-sam call` sends it. A
   * path starting with `/` goes to the Partner Center endpoint; an https URL on
   * Partner Center's or Microsoft Graph's host gets that service's token; any
   * other host needs `options.scopes` (else it rejects with a UsageError before
   * any request). Adds MS-RequestId and MS-CorrelationId, retries 429/5xx
   * (honouring Retry-After) and a 401 once with a fresh token, and resolves with
   * the last answer as a Response, whatever its status. Rejects with a
   * SignInError (exit 3) on Partner Center's MFA error 900421, and with a
   * `cancelled` SamError when `options.signal` aborts.
   */
  async fetch(urlOrPath: string, init: ProviderFetchInit = {}, options: ProviderFetchOptions = {}): Promise<Response> {
    const method = (init.method ?? "GET").toUpperCase();
    if (!(HTTP_METHODS as readonly string[]).includes(method)) throw new TypeError(`fetch: method must be one of ${HTTP_METHODS.join(", ")}, got ${JSON.stringify(init.method)}.`);
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    const answer = await this.api.send({
      target: urlOrPath,
      method: method as HttpMethod,
      body: init.body,
      headers,
      scopes: options.scopes ? [...options.scopes] : undefined,
      tenantId: options.tenantId,
      signal: options.signal,
    });
    const empty = answer.text === "" || answer.status === 204 || answer.status === 205 || answer.status === 304;
    return new Response(empty ? null : answer.text, { status: answer.status, headers: answer.headers });
  }

  /**
   * Resolves to an access token: `getAccessToken(scopes?)` for the partner's
   * tenant, or `getAccessToken({ scopes?, tenantId? })` for a customer tenant too
   * (scopes default to Partner Center's user_impersonation). Rejects with
   * ConsentRequiredError when the stored refresh token needs a new sign-in, with
   * an exit-3 SamError (`customer_consent_missing`, `gdap_access_missing`) when a
   * customer tenant is not set up, with a `cancelled` (or `token_timeout`)
   * SamError when the request's `signal` aborts, and with a TypeError for bad arguments.
   */
  getAccessToken(scopesOrRequest?: readonly string[] | TokenRequest): Promise<string> {
    const request: TokenRequest = scopesOrRequest === undefined || Array.isArray(scopesOrRequest) ? { scopes: scopesOrRequest as readonly string[] | undefined } : (scopesOrRequest as TokenRequest);
    return this.token("getAccessToken", request).then((info) => info.accessToken);
  }

  /**
   * Like {@link getAccessToken}, but resolves to the token with its type, expiry,
   * tenant (the token's `tid`) and granted scopes.
   */
  getToken(request: TokenRequest = {}): Promise<AccessTokenInfo> {
    return this.token("getToken", request);
  }

  /** Forgets cached access tokens, so the next call redeems again. */
  clearCache(): void {
    this.cache.clear();
  }

  private token(caller: string, request: TokenRequest): Promise<AccessTokenInfo> {
    // Bad arguments reject like every other failure; callers awaiting it never see a synchronous throw.
    const scopesProblem = `${caller}: scopes must be a non-empty array of scope strings without spaces, e.g. ["https://api.partnercenter.microsoft.com/user_impersonation"]`;
    if (typeof request !== "object" || request === null || Array.isArray(request)) {
      return Promise.reject(new TypeError(`${scopesProblem}, or a request { scopes?, tenantId? }.`));
    }
    const scopes = request.scopes ?? this.defaultScopes;
    if (!Array.isArray(scopes) || scopes.length === 0 || !scopes.every((s) => typeof s === "string" && s.trim() !== "" && !/\s/.test(s))) {
      return Promise.reject(new TypeError(`${scopesProblem}.`));
    }
    const tenantId = request.tenantId;
    if (tenantId !== undefined && !isTenantIdOrDomain(tenantId)) {
      return Promise.reject(new TypeError(`${caller}: tenantId must be a customer's tenant id (a GUID) or verified domain, e.g. "contoso.onmicrosoft.com".`));
    }
    const signal = request.signal;
    if (signal !== undefined && !isAbortSignal(signal)) return Promise.reject(new TypeError(`${caller}: signal must be an AbortSignal.`));
    if (signal?.aborted) return Promise.reject(abortError(signal.reason));
    const key = `${tenantId?.toLowerCase() ?? ""}\n${scopeKey(scopes)}`;
    if (request.forceRefresh) {
      this.cache.delete(key);
      this.shared?.delete(this.sharedKey(tenantId, scopes));
    }
    const cached = this.cache.get(key) ?? this.fromShared(key, tenantId, scopes);
    if (cached && cached.reuseUntil > Date.now()) return Promise.resolve(cached.info);
    let flight = this.inFlight.get(key);
    if (!flight) {
      const controller = new AbortController();
      const started: Flight = { controller, waiting: 0, promise: this.schedule(key, [...scopes], tenantId, controller.signal).finally(() => this.inFlight.get(key) === started && this.inFlight.delete(key)) };
      // Every caller may have given up: then nobody awaits the outcome.
      started.promise.catch(() => undefined);
      this.inFlight.set(key, started);
      flight = started;
    }
    return this.wait(key, flight, signal);
  }

  /** The flight's outcome for one caller, or the caller's abort; the last caller to give up aborts the redemption. */
  private wait(key: string, flight: Flight, signal: AbortSignal | undefined): Promise<AccessTokenInfo> {
    flight.waiting += 1;
    if (!signal) return flight.promise;
    return new Promise<AccessTokenInfo>((resolve, reject) => {
      const onAbort = () => {
        reject(abortError(signal.reason));
        flight.waiting -= 1;
        if (flight.waiting > 0) return;
        // Nobody waits any more: stop the redemption; the next caller starts a fresh one.
        if (this.inFlight.get(key) === flight) this.inFlight.delete(key);
        flight.controller.abort(catalogError("cancelled", { message: "Every caller waiting for this access token gave up (its AbortSignal aborted), so the redemption was stopped." }));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      flight.promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
  }

  /** Partner-tenant redemptions join the queue; customer-tenant ones run at once. */
  private async schedule(key: string, scopes: string[], tenantId: string | undefined, signal: AbortSignal): Promise<AccessTokenInfo> {
    if (tenantId !== undefined && tenantId.toLowerCase() !== (await (await this.rotator()).partnerTenantId()).toLowerCase()) {
      const refused = partnerCenterInCustomerTenant(scopes, tenantId, this.partnerCenterEndpoint);
      if (refused) throw refused;
      return this.redeem(key, scopes, tenantId, signal);
    }
    return this.enqueue(() => this.redeem(key, scopes, undefined, signal));
  }

  private async redeem(key: string, scopes: string[], tenantId: string | undefined, signal: AbortSignal): Promise<AccessTokenInfo> {
    const cached = this.cache.get(key);
    if (cached && cached.reuseUntil > Date.now()) return cached.info;
    const result = await (await this.rotator()).redeem(scopes, { tenantId, signal });
    if (result.storeError) this.onStoreFailure(result.storeError);
    const info: AccessTokenInfo = { accessToken: result.accessToken, tokenType: "Bearer", expiresOn: result.expiresOn, tenantId: result.tenantId, scopes: result.scopes };
    this.cache.set(key, { info, reuseUntil: result.expiresOn.getTime() - this.expiryMarginMs });
    this.shared?.set(this.sharedKey(tenantId, scopes), info);
    return info;
  }

  /** The shared cache's entry for (tenant, scopes), kept in memory too; undefined without a shared cache or entry. */
  private fromShared(key: string, tenantId: string | undefined, scopes: readonly string[]): CachedToken | undefined {
    const found = this.shared?.get(this.sharedKey(tenantId, scopes));
    if (!found) return undefined;
    const entry: CachedToken = { info: { ...found, tokenType: "Bearer" }, reuseUntil: found.expiresOn.getTime() - this.expiryMarginMs };
    this.cache.set(key, entry);
    return entry;
  }

  private sharedKey(tenantId: string | undefined, scopes: readonly string[]): TokenCacheKey {
    return { authorityHost: this.authorityHost, keyVaultUri: this.keyVaultUri, tenant: tenantId ?? "", scopes };
  }

  private rotator(): Promise<RefreshTokenRotator> {
    this.rotatorLoad ??= this.openRotator();
    return this.rotatorLoad;
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function isAbortSignal(value: unknown): value is AbortSignal {
  return typeof value === "object" && value !== null && typeof (value as AbortSignal).aborted === "boolean" && typeof (value as AbortSignal).addEventListener === "function";
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

const TENANT_GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TENANT_DOMAIN = /^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/** True for a tenant id (GUID) or a domain name such as `contoso.onmicrosoft.com` — not `common`, a URL or a path. */
export function isTenantIdOrDomain(value: unknown): value is string {
  return typeof value === "string" && (TENANT_GUID.test(value) || TENANT_DOMAIN.test(value));
}

function scopeKey(scopes: readonly string[]): string {
  return scopes.length === 1 ? scopes[0]! : [...scopes].sort().join(" ");
}
