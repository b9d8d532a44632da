/**
 * The state `npm run bootstrap` leaves in the vault: a refresh token of the
 * signed-in user, stored as a new version of the refresh-token secret with the
 * bootstrap's content type, tags and 90-day expiry. Lets downstream tests (and
 * ours) start from "bootstrapped" without a sign-in.
 */
import { REFRESH_TOKEN_CONTENT_TYPE, REFRESH_TOKEN_LIFETIME_DAYS, type RefreshTokenTags, type SecretNames } from "../bootstrap/src/core/contract";
import type { EntraEmulator } from "./entra";
import type { KeyVaultEmulator } from "./key-vault";

const DAY_MS = 24 * 3600 * 1000;

/** Options of the emulator's `storeRefreshToken`. */
export interface StoreRefreshTokenOptions {
  /** Whose token (user principal name). Default: the emulator's first user. */
  user?: string;
  /** Overrides for the bootstrap's tags (consentedAt, consentedBy, mfa, tenantId, clientId, refreshedAt). */
  tags?: Partial<RefreshTokenTags>;
  /** The secret version's write time. Default now. */
  updatedOn?: Date;
  /** The secret's expiry; `null` for none. Default: `updatedOn` + 90 days, as the bootstrap sets it. */
  expiresOn?: Date | null;
}

/** A refresh token the emulated Entra ID accepts, as stored. */
export interface StoredRefreshTokenInfo {
  token: string;
  version: string;
  tags: RefreshTokenTags;
}

/** What storing needs to know about the running emulator. */
export interface BootstrapContext {
  entra: EntraEmulator;
  keyVault: KeyVaultEmulator;
  tenantId: string;
  clientId: string;
  scopes: string[];
  secretNames: SecretNames;
}

/** Issues a refresh token for `username` and stores it the way the bootstrap does. */
export function storeRefreshToken(context: BootstrapContext, username: string, options: StoreRefreshTokenOptions = {}): StoredRefreshTokenInfo {
  const token = context.entra.issueRefreshToken({ tenantId: context.tenantId, clientId: context.clientId, username, scopes: context.scopes });
  const updatedOn = options.updatedOn ?? new Date();
  const now = updatedOn.toISOString();
  const tags: RefreshTokenTags = {
    consentedAt: now,
    consentedBy: username,
    mfa: "true",
    tenantId: context.tenantId,
    clientId: context.clientId,
    refreshedAt: now,
    ...options.tags,
  };
  const expiresOn = options.expiresOn === undefined ? new Date(updatedOn.getTime() + REFRESH_TOKEN_LIFETIME_DAYS * DAY_MS) : options.expiresOn;
  const stored = context.keyVault.setSecret(context.secretNames.refreshToken, token, {
    contentType: REFRESH_TOKEN_CONTENT_TYPE,
    tags: { ...tags },
    updatedOn,
    createdOn: updatedOn,
    ...(expiresOn ? { expiresOn } : {}),
  });
  return { token, version: stored.version, tags };
}
