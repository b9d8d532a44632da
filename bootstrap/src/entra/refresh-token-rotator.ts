import { networkProblem, networkProblemError } from "../core/network-problems";
import type { AuthenticationResult, ConfidentialClientApplication } from "@azure/msal-node";
import { credentialSecret, usedCredential } from "./credential-errors";
import { explainEntraError, isClientSecretRejection } from "./entra-errors";
import { REFRESH_TOKEN_LIFETIME_DAYS } from "../core/contract";
import { catalogError } from "../core/error-catalogue";
import { SamError } from "../core/errors";
import { redactSecrets } from "../core/terminal";
import { mfaFromClaims, readJwtClaims } from "./jwt-claims";
import { createMsalApp, refreshTokenFromCache, tenantAuthority } from "./msal-app";
import { preloadMsal } from "./msal-sdk";
import { authorityMetadataFor, type AuthorityMetadataSettings } from "./authority-metadata";
import { withEntraSignal, type TimeoutNetworkClientOptions } from "./msal-network";
import { assertDistinctSecretNames, type AppCredentials, type RefreshTokenTags, type StoredRefreshToken, type VaultStore } from "../vault/vault-store";

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * When a redemption in the partner's tenant writes the rotated refresh token back:
 * `always`; `daily`, only when the stored token was written 24 hours ago or
 * earlier; `never`. Skipping a write loses nothing: Entra ID does not revoke a
 * refresh token when it is redeemed, so the stored one stays valid for its own
 * lifetime (90 days, "Refresh tokens replace themselves with a fresh token upon
 * every use" and "Microsoft Entra ID doesn't revoke old refresh tokens when used
 * to fetch new access tokens": https://learn.microsoft.com/entra/identity-platform/refresh-tokens).
 * One write a day keeps the stored token at most a day older than the newest one.
 */
export type WriteBack = "always" | "daily" | "never";

/** How old the stored refresh token must be before `daily` writes it back. */
export const DAILY_WRITE_BACK_MS = DAY_MS;

/** Options for {@link RefreshTokenRotator}. */
export interface RefreshTokenRotatorOptions {
  store: VaultStore;
  /** Entra ID authority host, e.g. https://login.microsoftonline.com. */
  authorityHost: string;
  /** Clock, for tags and expiry. */
  now?: () => Date;
  /**
   * Told every secret value the rotator handles (client secret or certificate key, stored and
   * rotated refresh tokens, access token), so a command can keep them off screen.
   */
  onSecret?: (value: string) => void;
  /**
   * What to do when the rotated refresh token cannot be written back (after the
   * vault retries of retry.ts): `throw` (default, for commands) a
   * `refresh_token_not_stored` error, or `return` the redemption with
   * `stored: false` and `storeError` (for the token provider, which keeps serving
   * the access token). Either way the stored token stays valid.
   */
  onStoreFailure?: "throw" | "return";
  /** Timeouts and deadline for the requests to Entra ID. */
  network?: TimeoutNetworkClientOptions;
  /** When to write the rotated refresh token back (see {@link WriteBack}). Default `always`. */
  writeBack?: WriteBack;
}

/** What {@link RefreshTokenRotator.redeem} is asked for besides the scopes. */
export interface RedeemOptions {
  /**
   * A customer tenant (tenant id or verified domain): the partner's stored
   * refresh token is redeemed at `<authorityHost>/<tenant>` (GDAP, App+User) and
   * nothing is written back — the refresh token a customer tenant returns is never
   * stored in place of the partner's. Default, or the partner's own tenant id: the
   * partner's tenant, with the write-back.
   */
  tenantId?: string;
  /**
   * Gives up on the redemption: the vault reads and the request to Entra ID are
   * aborted and it rejects with the signal's reason. Once Entra ID has answered,
   * the signal is no longer looked at: the rotated refresh token is always written back.
   */
  signal?: AbortSignal;
}

/** The result of one redemption. */
export interface Redemption {
  accessToken: string;
  /** When the access token expires. */
  expiresOn: Date;
  scopes: string[];
  /** The tenant the access token was issued in (its `tid`): the partner's, or the customer's. */
  tenantId: string;
  /** The user the token belongs to, from the token or the stored tags. */
  user?: string;
  /** The refresh-token secret version written for the rotated token. */
  storedVersion?: string;
  /** When the stored refresh token expires if it is not used again. */
  refreshTokenExpiresOn: Date;
  tags: RefreshTokenTags;
  /**
   * False when nothing was written back: the rotated token could not be (only
   * with `onStoreFailure: "return"`, see `storeError`), or the redemption was in a
   * customer tenant, whose refresh token is never stored.
   */
  stored: boolean;
  /** Why the rotated token could not be written back. */
  storeError?: SamError;
  /** Set when the write-back rule ({@link WriteBack}) skipped the write: the stored token is still valid. */
  writeSkipped?: "daily" | "never";
}

/**
 * Redeems the refresh token stored in the vault and stores the rotated one
 * before returning: the core of `npm run refresh` and of the token provider.
 * If anything fails before the write, the stored token is left as it was.
 */
export class RefreshTokenRotator {
  private readonly store: VaultStore;
  private readonly authorityHost: string;
  private readonly now: () => Date;
  private readonly onSecret: (value: string) => void;
  private readonly onStoreFailure: "throw" | "return";
  private readonly network: TimeoutNetworkClientOptions;
  private readonly writeBack: WriteBack;
  /** The stored refresh token, read once (and replaced by what this rotator writes). */
  private storedToken?: Promise<StoredRefreshToken>;
  /** The last request to Entra ID that got no answer (msal may hide it behind its own error). */
  private lastNetworkError?: Error;
  /** Entra's error answers to OpenID metadata requests, by the tenant segment of their path (lower case). */
  private readonly metadataErrors = new Map<string, unknown>();
  private credentials?: Promise<AppCredentials>;
  private app?: { credentials: AppCredentials; client: ConfidentialClientApplication };
  /**
   * The client for customer-tenant redemptions, apart from the partner's: its
   * cache stays empty (no forceCache), so a customer tenant's refresh token is
   * never kept, and the partner's cache only ever holds the partner's.
   */
  private customerApp?: { credentials: AppCredentials; client: ConfidentialClientApplication };

  constructor(options: RefreshTokenRotatorOptions) {
    assertDistinctSecretNames(options.store.secretNames, "RefreshTokenRotator");
    this.store = options.store;
    this.authorityHost = options.authorityHost;
    this.now = options.now ?? (() => new Date());
    this.onSecret = options.onSecret ?? (() => undefined);
    this.onStoreFailure = options.onStoreFailure ?? "throw";
    this.writeBack = options.writeBack ?? "always";
    const outer = options.network?.onNetworkError;
    this.network = {
      ...options.network,
      onNetworkError: (error) => {
        this.lastNetworkError = error;
        outer?.(error);
      },
      onErrorAnswer: (url, status, body) => {
        const tenant = new URL(url).pathname.split("/").filter(Boolean)[0];
        if (tenant) this.metadataErrors.set(tenant.toLowerCase(), body);
        options.network?.onErrorAnswer?.(url, status, body);
      },
    };
  }

  /** The partner's tenant id, from the vault (read once). */
  async partnerTenantId(): Promise<string> {
    return (await this.appCredentials()).tenantId;
  }

  /**
   * Redeems the stored refresh token for `scopes` and writes the rotated token
   * back — in the partner's tenant. In a customer tenant (`options.tenantId`) it
   * only redeems: nothing is written.
   */
  async redeem(scopes: string[], options: RedeemOptions = {}): Promise<Redemption> {
    const { signal } = options;
    if (signal?.aborted) throw signal.reason;
    // The four secrets are read at once, and once per rotator (see storedRefreshToken and appCredentials).
    const reads = Promise.all([this.storedRefreshToken(signal), this.appCredentials()]);
    preloadMsal();
    const [stored, firstCredentials] = await untilAborted(reads, signal);
    let credentials = firstCredentials;
    this.onSecret(stored.value);
    const customer = options.tenantId !== undefined && options.tenantId.toLowerCase() !== credentials.tenantId.toLowerCase() ? options.tenantId : undefined;
    let result: AuthenticationResult | null;
    try {
      result = await withEntraSignal(signal, () => this.acquire(credentials, stored.value, scopes, customer));
    } catch (error) {
      // Read the stored token again next time: it may have been replaced (a new bootstrap) or revoked.
      this.storedToken = undefined;
      if (signal?.aborted) throw signal.reason;
      // A rotated or expired client secret or certificate: read the vault again once and retry with the new one.
      const sent = [stored.value, credentials.clientSecret ?? ""];
      if (!isClientSecretRejection(error)) throw this.explain(error, credentials, sent, customer);
      this.credentials = undefined;
      credentials = await untilAborted(this.appCredentials(), signal);
      result = await withEntraSignal(signal, () => this.acquire(credentials, stored.value, scopes, customer)).catch((retryError: unknown) => {
        throw signal?.aborted ? signal.reason : this.explain(retryError, credentials, [...sent, credentials.clientSecret ?? ""], customer);
      });
    }
    // Entra ID has answered: from here on the signal is ignored, so a rotated refresh token is always stored.
    if (customer && result) return this.customerRedemption(result, stored, credentials, customer);
    if (!result?.account) {
      throw catalogError("no_account", {
        message: "Entra ID returned a token without an account, so the rotated refresh token cannot be identified.",
        hint: "Run `partner-center-sam bootstrap` again; if it persists, report it with the time of the failure.",
      });
    }
    this.onSecret(result.accessToken);
    const rotated = refreshTokenFromCache(this.app!.client, result.account.homeAccountId, credentials.clientId);
    const skip = this.skipWrite(stored);
    if (skip) {
      if (rotated) this.onSecret(rotated);
      const claims = readJwtClaims(result.accessToken);
      return {
        accessToken: result.accessToken,
        expiresOn: result.expiresOn ?? new Date(((claims?.exp as number | undefined) ?? 0) * 1000),
        scopes: result.scopes,
        tenantId: credentials.tenantId,
        user: result.account.username || stored.tags.consentedBy,
        tags: { ...storedTags(stored, credentials, result.account.username), mfa: mfaFromClaims(claims, result.idTokenClaims) ?? stored.tags.mfa ?? "false" },
        refreshTokenExpiresOn: storedExpiry(stored),
        stored: false,
        writeSkipped: skip,
      };
    }
    if (!rotated) {
      const until = stored.expiresOn ? ` until ${stored.expiresOn.toISOString()}` : " until its expiry";
      throw catalogError("no_refresh_token", {
        message: `Entra ID redeemed the stored refresh token but returned no new one, so nothing was written; the stored refresh token was used and is still valid${until}.`,
        hint: "Check that the app's permissions include offline_access (run `pulumi up`), then run the command again; it uses the stored token.",
      });
    }
    this.onSecret(rotated);
    const claims = readJwtClaims(result.accessToken);
    const now = this.now();
    const tags: RefreshTokenTags = {
      consentedAt: stored.tags.consentedAt ?? "unknown",
      consentedBy: stored.tags.consentedBy ?? result.account.username,
      mfa: mfaFromClaims(claims, result.idTokenClaims) ?? stored.tags.mfa ?? "false",
      tenantId: credentials.tenantId,
      clientId: credentials.clientId,
      refreshedAt: now.toISOString(),
    };
    const redemption = {
      accessToken: result.accessToken,
      expiresOn: result.expiresOn ?? new Date(((claims?.exp as number | undefined) ?? 0) * 1000),
      scopes: result.scopes,
      tenantId: credentials.tenantId,
      user: result.account.username || tags.consentedBy,
      tags,
    };
    let written: { version?: string; expiresOn: Date };
    try {
      written = await this.store.writeRefreshToken(rotated, tags, now);
    } catch (error) {
      const storeError = notStored(error, stored, this.store.keyVaultUri);
      if (this.onStoreFailure === "throw") throw storeError;
      return { ...redemption, refreshTokenExpiresOn: storedExpiry(stored), stored: false, storeError };
    }
    // What this rotator wrote is what the vault now holds: the next redemption uses it without reading again.
    this.storedToken = Promise.resolve({ value: rotated, version: written.version, tags, updatedOn: now, expiresOn: written.expiresOn });
    return { ...redemption, storedVersion: written.version, refreshTokenExpiresOn: written.expiresOn, stored: true };
  }

  /** Why the write-back rule skips writing over `stored`, or undefined to write. */
  private skipWrite(stored: StoredRefreshToken): "daily" | "never" | undefined {
    if (this.writeBack === "never") return "never";
    if (this.writeBack === "always" || !stored.updatedOn) return undefined;
    return this.now().getTime() - stored.updatedOn.getTime() < DAILY_WRITE_BACK_MS ? "daily" : undefined;
  }

  /** The stored refresh token, read once; a read that fails (or that `signal` aborts) is forgotten. */
  private storedRefreshToken(signal?: AbortSignal): Promise<StoredRefreshToken> {
    this.storedToken ??= this.store.readRefreshToken({ abortSignal: signal }).catch((error: unknown) => {
      this.storedToken = undefined;
      throw error;
    });
    return this.storedToken;
  }

  /** A customer-tenant redemption: the access token only; the stored partner refresh token is left as it is. */
  private customerRedemption(result: AuthenticationResult, stored: StoredRefreshToken, credentials: AppCredentials, customer: string): Redemption {
    this.onSecret(result.accessToken);
    const claims = readJwtClaims(result.accessToken);
    const tid = typeof claims?.tid === "string" && claims.tid ? claims.tid : result.tenantId || customer;
    const user = result.account?.username || stored.tags.consentedBy;
    return {
      accessToken: result.accessToken,
      expiresOn: result.expiresOn ?? new Date(((claims?.exp as number | undefined) ?? 0) * 1000),
      scopes: result.scopes,
      tenantId: tid,
      ...(user ? { user } : {}),
      refreshTokenExpiresOn: storedExpiry(stored),
      tags: {
        consentedAt: stored.tags.consentedAt ?? "unknown",
        consentedBy: stored.tags.consentedBy ?? user ?? "unknown",
        mfa: mfaFromClaims(claims, result.idTokenClaims) ?? stored.tags.mfa ?? "false",
        tenantId: credentials.tenantId,
        clientId: credentials.clientId,
        refreshedAt: stored.tags.refreshedAt ?? "unknown",
      },
      stored: false,
    };
  }

  private appCredentials(): Promise<AppCredentials> {
    this.credentials ??= this.store.readAppCredentials().catch((error: unknown) => {
      this.credentials = undefined;
      throw error;
    });
    return this.credentials;
  }

  private acquire(credentials: AppCredentials, refreshToken: string, scopes: string[], customerTenant?: string): Promise<AuthenticationResult | null> {
    this.onSecret(credentialSecret(credentials));
    if (customerTenant) {
      if (this.customerApp?.credentials !== credentials) {
        this.customerApp = { credentials, client: createMsalApp(credentials, this.authorityHost, this.network, this.metadata()) };
      }
      return this.customerApp.client.acquireTokenByRefreshToken({ refreshToken, scopes, authority: tenantAuthority(this.authorityHost, customerTenant), forceCache: false });
    }
    if (this.app?.credentials !== credentials) {
      this.app = { credentials, client: createMsalApp(credentials, this.authorityHost, this.network, this.metadata()) };
    }
    return this.app.client.acquireTokenByRefreshToken({ refreshToken, scopes, forceCache: true });
  }

  private metadataSettings?: AuthorityMetadataSettings;

  /** The authority metadata MSAL is given instead of fetching it (derived once from the authority host). */
  private metadata(): AuthorityMetadataSettings {
    this.metadataSettings ??= authorityMetadataFor(this.authorityHost);
    return this.metadataSettings;
  }

  /** `credentials`: the app credential the request carried; `secrets`: what the request sent, never to be quoted back from Entra's answer. */
  private explain(error: unknown, credentials: AppCredentials, secrets: readonly string[], customerTenant?: string): unknown {
    const name = (error as { name?: unknown } | null)?.name;
    const network = this.lastNetworkError;
    if (network && (name === "ClientAuthError" || name === "AuthError")) {
      this.lastNetworkError = undefined;
      const problem = networkProblem(network);
      if (problem) return networkProblemError(problem, { service: "Entra ID", url: this.authorityHost, cause: error });
      return catalogError("entra_unreachable", {
        message: `Entra ID did not answer: ${redactSecrets((network as { errorMessage?: string }).errorMessage ?? network.message, secrets)}`,
        cause: error,
        hint: "Check the network path to the authority host (--authority-host, AZURE_AUTHORITY_HOST or the stack's authorityHost) and run the command again; the stored refresh token is still valid.",
      });
    }
    // msal-node reports Entra's answer to its OpenID metadata request (an unknown tenant: invalid_tenant AADSTS90002)
    // as `endpoints_resolution_error`; explain Entra's own answer instead.
    const metadata = customerTenant && (error as { errorCode?: unknown } | null)?.errorCode === "endpoints_resolution_error" ? this.metadataErrors.get(customerTenant.toLowerCase()) : undefined;
    const credential = usedCredential(credentials);
    if (metadata !== undefined) return explainEntraError(metadata, { phase: "refresh", customerTenant, secrets, credential });
    return explainEntraError(error, { phase: "refresh", customerTenant, secrets, credential });
  }
}

/**
 * `work`, or the signal's reason once it aborts. For work shared with other
 * redemptions (the app credentials, read once), which one caller must not abort.
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** The stored token's tags, completed from the app credentials (for a redemption that wrote nothing). */
function storedTags(stored: StoredRefreshToken, credentials: AppCredentials, username: string | undefined): RefreshTokenTags {
  return {
    consentedAt: stored.tags.consentedAt ?? "unknown",
    consentedBy: stored.tags.consentedBy ?? (username || "unknown"),
    mfa: stored.tags.mfa ?? "false",
    tenantId: credentials.tenantId,
    clientId: credentials.clientId,
    refreshedAt: stored.tags.refreshedAt ?? "unknown",
  };
}

/** When the stored refresh token expires: its expiresOn, else its last write + 90 days. */
function storedExpiry(stored: StoredRefreshToken): Date {
  if (stored.expiresOn) return stored.expiresOn;
  return new Date((stored.updatedOn?.getTime() ?? Date.now()) + REFRESH_TOKEN_LIFETIME_DAYS * DAY_MS);
}

/**
 * The error for a redemption whose rotated token could not be written back. Entra
 * ID does not revoke a refresh token when it is used, so the stored one still works.
 */
function notStored(error: unknown, stored: StoredRefreshToken, keyVaultUri: string): SamError {
  const why = (error instanceof Error ? error.message : String(error)).replace(/\.?$/, ".");
  const fix = error instanceof SamError && error.hint ? `${error.hint} ` : "";
  return catalogError("refresh_token_not_stored", {
    message: `The stored refresh token WAS redeemed, but the new refresh token could not be stored in ${keyVaultUri}: ${why} The stored refresh token remains valid until its expiry (${storedExpiry(stored).toISOString()}), so nothing is lost.`,
    cause: error,
    hint: `${fix}Then run \`partner-center-sam refresh\` again: it redeems the stored token and stores the new one.`,
  });
}
