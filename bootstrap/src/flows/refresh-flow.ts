import { partnerCenterScope } from "../core/contract";
import { fetchOrganizationProfile, type OrganizationProfile } from "../partner-center/partner-center";
import type { Progress } from "../core/progress";
import { RefreshTokenRotator } from "../entra/refresh-token-rotator";
import { withDeadline } from "./flow-deadline";
import { openVaultStore, resolveTarget, type TargetSource } from "../vault/vault-target";

/** Options for {@link runRefresh}. */
export interface RefreshOptions {
  source: TargetSource;
  /** How long to retry a Key Vault 403 while a role assignment propagates (ms). */
  accessWaitMs: number;
  /** The overall deadline, on top of `accessWaitMs` (ms). */
  timeoutMs: number;
  /** Call Partner Center with the new access token. */
  verify: boolean;
  progress: Progress;
  /** Aborting it (e.g. on SIGTERM) cancels whatever is in flight; its reason is the error reported. */
  signal?: AbortSignal;
}

/** What `refresh` did; safe to print. */
export interface RefreshResult {
  ok: true;
  keyVaultUri: string;
  secretName: string;
  version: string | null;
  refreshedAt: string;
  refreshTokenExpiresOn: string;
  accessTokenExpiresOn: string;
  consentedBy: string;
  consentedAt: string;
  mfa: boolean;
  verified: boolean;
  organization: OrganizationProfile | null;
}

/**
 * Redeems the refresh token stored in the vault and stores the rotated one, then
 * (unless `verify` is false) checks the new access token with Partner Center.
 */
export async function runRefresh(options: RefreshOptions): Promise<RefreshResult> {
  const { progress } = options;
  return withDeadline(options.timeoutMs + options.accessWaitMs, options.signal, async (deadline) => {
    const where = await resolveTarget(options.source);
    const store = openVaultStore(where, options.accessWaitMs, progress, deadline);
    progress.step(`Redeeming the refresh token stored in ${where.keyVaultUri}`);
    const rotator = new RefreshTokenRotator({ store, authorityHost: where.authorityHost, onSecret: (value) => progress.protect(value), network: { deadline } });
    const redemption = await rotator.redeem([partnerCenterScope(where.partnerCenterEndpoint)]);
    progress.step(`Stored the rotated refresh token as a new version of "${where.secretNames.refreshToken}".`);

    let organization: OrganizationProfile | null = null;
    if (options.verify) {
      progress.step(`Verifying the new token with Partner Center (${where.partnerCenterEndpoint}).`);
      organization = await fetchOrganizationProfile(where.partnerCenterEndpoint, redemption.accessToken, { deadline });
    }
    return {
      ok: true,
      keyVaultUri: where.keyVaultUri,
      secretName: where.secretNames.refreshToken,
      version: redemption.storedVersion ?? null,
      refreshedAt: redemption.tags.refreshedAt,
      refreshTokenExpiresOn: redemption.refreshTokenExpiresOn.toISOString(),
      accessTokenExpiresOn: redemption.expiresOn.toISOString(),
      consentedBy: redemption.tags.consentedBy,
      consentedAt: redemption.tags.consentedAt,
      mfa: redemption.tags.mfa === "true",
      verified: organization !== null,
      organization,
    };
  });
}
