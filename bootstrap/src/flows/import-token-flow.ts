/**
 * `import-token`: brings a refresh token that already works (from
 * `New-PartnerAccessToken`, CIPP or another tool) into the stack's vault. It is
 * redeemed once with the stack's app — proving it works, that it belongs to this
 * app and partner tenant, and that it carries MFA — and the ROTATED token is
 * stored with the bootstrap's tags. Until the write, the vault is left as it was.
 */
import { catalogError } from "../core/error-catalogue";
import { partnerCenterScope, type RefreshTokenTags } from "../core/contract";
import type { Progress } from "../core/progress";
import { redeemImportedRefreshToken } from "../entra/import-redemption";
import { fetchOrganizationProfile, type OrganizationProfile } from "../partner-center/partner-center";
import { openVaultStore, resolveTarget, type TargetSource } from "../vault/vault-target";
import type { BootstrapResult } from "./bootstrap-flow";
import { withDeadline } from "./flow-deadline";
import { guardReplacingAnotherUsersToken } from "./replace-guard";

/** Options for {@link runImportToken}. */
export interface ImportTokenOptions {
  source: TargetSource;
  /** The refresh token to import (trimmed). Never logged or printed. */
  refreshToken: string;
  /** How long to retry a Key Vault 403 while a role assignment propagates (ms). */
  accessWaitMs: number;
  /** The overall deadline, on top of `accessWaitMs` (ms). */
  timeoutMs: number;
  /** Store a token without MFA (Partner Center refuses App+User calls with it). */
  allowNoMfa: boolean;
  /** Replace a healthy stored token consented by another user. */
  replace: boolean;
  /** Call Partner Center with the new access token before storing. */
  verify: boolean;
  /** The command to run again with `--replace`, as the user ran it. */
  retryWithReplace?: string;
  progress: Progress;
  /** Aborting it (e.g. on SIGTERM) cancels whatever is in flight. */
  signal?: AbortSignal;
  now?: () => Date;
}

/** What `import-token` stored, in the bootstrap's words (the same fields, without the verification's); safe to print. */
export interface ImportTokenResult
  extends Pick<BootstrapResult, "ok" | "keyVaultUri" | "secretName" | "version" | "expiresOn" | "consentedBy" | "consentedAt" | "mfa" | "tenantId" | "clientId" | "verified" | "organization"> {
  /** The token this one replaced, when another user had consented it; null otherwise. */
  replaced: { consentedBy: string | null; consentedAt: string | null } | null;
}

/**
 * Imports `refreshToken`: reads the app's credentials from the vault, redeems the
 * token once at Entra ID, checks app, tenant and MFA, optionally verifies with
 * Partner Center, refuses to replace another user's healthy token without
 * `replace`, and stores the rotated token with the bootstrap's tags.
 */
export async function runImportToken(options: ImportTokenOptions): Promise<ImportTokenResult> {
  const { progress } = options;
  progress.protect(options.refreshToken);
  return withDeadline(options.timeoutMs + options.accessWaitMs, options.signal, async (deadline) => {
    const where = await resolveTarget(options.source);
    const store = openVaultStore(where, options.accessWaitMs, progress, deadline);
    progress.step(`Reading the app's credentials from ${where.keyVaultUri}`);
    const credentials = await store.readAppCredentials({ abortSignal: options.signal });
    progress.protect(credentials.clientSecret);
    const mismatched = where.outputs ? (["clientId", "tenantId"] as const).filter((k) => credentials[k].toLowerCase() !== where.outputs![k].toLowerCase()) : [];
    if (mismatched.length > 0) {
      throw catalogError("vault_outputs_mismatch", {
        message: `The vault's ${mismatched.join(" and ")} differ from the stack outputs.`,
        hint: "Use the outputs of the stack that owns this vault, or run `pulumi up` so the vault is current.",
      });
    }
    // A soft-deleted refresh-token secret would refuse the write (409) after the redemption: recover it first.
    if ((await store.prepareRefreshTokenSecret()) === "recovered") {
      progress.step(`The refresh-token secret "${where.secretNames.refreshToken}" was deleted (soft delete); recovered it so the imported token can be stored.`);
    }

    progress.step(`Redeeming the piped refresh token once at ${where.authorityHost} with the app ${credentials.clientId}.`);
    const redeemed = await redeemImportedRefreshToken({
      credentials,
      authorityHost: where.authorityHost,
      refreshToken: options.refreshToken,
      scopes: [partnerCenterScope(where.partnerCenterEndpoint)],
      network: { deadline },
      onSecret: (value) => progress.protect(value),
    });
    progress.step(`The token belongs to ${redeemed.user}${redeemed.mfa ? " and was obtained with MFA" : ", WITHOUT MFA"}.`);
    if (!redeemed.mfa && !options.allowNoMfa) {
      throw catalogError("import_token_no_mfa", {
        message: `The refresh token of ${redeemed.user} was not obtained with multi-factor authentication (no value containing 'mfa' in the token's amr claim); Partner Center refuses App+User calls without MFA. Nothing was stored.`,
      });
    }

    let organization: OrganizationProfile | null = null;
    if (options.verify) {
      progress.step(`Verifying the token with Partner Center (${where.partnerCenterEndpoint}).`);
      organization = await fetchOrganizationProfile(where.partnerCenterEndpoint, redeemed.accessToken, { deadline });
    }

    const now = (options.now ?? (() => new Date()))();
    const previous = await guardReplacingAnotherUsersToken({
      store,
      newUser: redeemed.user,
      replace: options.replace,
      retryWithReplace: options.retryWithReplace ?? "partner-center-sam import-token --replace …",
      now,
    });
    const authTime = typeof redeemed.claims.auth_time === "number" ? new Date(redeemed.claims.auth_time * 1000) : undefined;
    const tags: RefreshTokenTags = {
      // When the user signed in for this token (the access token's auth_time), else now.
      consentedAt: (authTime && !Number.isNaN(authTime.getTime()) ? authTime : now).toISOString(),
      consentedBy: redeemed.user,
      mfa: redeemed.mfa ? "true" : "false",
      tenantId: credentials.tenantId,
      clientId: credentials.clientId,
      refreshedAt: now.toISOString(),
    };
    progress.step(`Storing the rotated refresh token in ${where.keyVaultUri} as "${where.secretNames.refreshToken}".`);
    const written = await store.writeRefreshToken(redeemed.rotatedRefreshToken, tags, now);
    const replacedOther = previous?.healthy && previous.consentedBy?.toLowerCase() !== redeemed.user.toLowerCase();
    return {
      ok: true,
      keyVaultUri: where.keyVaultUri,
      secretName: where.secretNames.refreshToken,
      version: written.version ?? null,
      expiresOn: written.expiresOn.toISOString(),
      consentedBy: tags.consentedBy,
      consentedAt: tags.consentedAt,
      mfa: redeemed.mfa,
      tenantId: credentials.tenantId,
      clientId: credentials.clientId,
      verified: organization !== null,
      organization,
      replaced: replacedOther ? { consentedBy: previous.consentedBy ?? null, consentedAt: previous.consentedAt ?? null } : null,
    };
  });
}
