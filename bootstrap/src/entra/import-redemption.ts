/**
 * Redeems a refresh token that came from elsewhere (`import-token`: a token from
 * `New-PartnerAccessToken`, CIPP or another tool) once, with the stack's app, and
 * returns the rotated one and the access token's claims. Entra ID's answers for a
 * token of another app, another tenant or a dead token get errors that say so.
 */
import type { AuthenticationResult } from "@azure/msal-node";
import { catalogError } from "../core/error-catalogue";
import type { SamError } from "../core/errors";
import type { AppCredentials } from "../vault/vault-types";
import { explainEntraError, isClientSecretRejection, readEntraError, shortDescription } from "./entra-errors";
import { hasMfaClaim, readAccessTokenClaims, signedInUser, type AccessTokenClaims } from "./jwt-claims";
import { createMsalApp, refreshTokenFromCache } from "./msal-app";
import type { TimeoutNetworkClientOptions } from "./msal-network";

/** Options of {@link redeemImportedRefreshToken}. */
export interface ImportRedemptionOptions {
  /** The stack's app, as the vault holds it. */
  credentials: AppCredentials;
  authorityHost: string;
  /** The refresh token to redeem (it stays valid: Entra does not revoke a redeemed refresh token). */
  refreshToken: string;
  scopes: string[];
  network?: TimeoutNetworkClientOptions;
  /** Told every secret value handled here (access and rotated refresh token), to keep them off screen. */
  onSecret?: (value: string) => void;
}

/** What one redemption of an imported refresh token gave. */
export interface ImportRedemption {
  accessToken: string;
  expiresOn: Date;
  /** The new refresh token Entra ID issued in exchange: the one to store. */
  rotatedRefreshToken: string;
  claims: AccessTokenClaims;
  /** The token's user (UPN first). */
  user: string;
  /** The token's `amr` says the user completed MFA. */
  mfa: boolean;
}

/**
 * Redeems `refreshToken` at the app's tenant for `scopes` and checks the answer:
 * the access token is for the partner's tenant, and its user is a user of that
 * tenant (not a guest from elsewhere). MFA is reported, not enforced: the caller decides.
 */
export async function redeemImportedRefreshToken(options: ImportRedemptionOptions): Promise<ImportRedemption> {
  const { credentials, refreshToken, scopes } = options;
  const onSecret = options.onSecret ?? (() => undefined);
  onSecret(refreshToken);
  if (credentials.clientSecret) onSecret(credentials.clientSecret);
  let networkError: Error | undefined;
  const network: TimeoutNetworkClientOptions = {
    ...options.network,
    onNetworkError: (error) => {
      networkError = error;
      options.network?.onNetworkError?.(error);
    },
  };
  const app = createMsalApp(credentials, options.authorityHost, network);
  let result: AuthenticationResult | null;
  try {
    result = await app.acquireTokenByRefreshToken({ refreshToken, scopes, forceCache: true });
  } catch (error) {
    throw explainImportError(error, credentials, networkError);
  }
  if (!result?.account) {
    throw catalogError("no_account", { message: "Entra ID redeemed the refresh token but returned no account, so the rotated refresh token cannot be identified; nothing was stored." });
  }
  onSecret(result.accessToken);
  const rotated = refreshTokenFromCache(app, result.account.homeAccountId, credentials.clientId);
  if (!rotated) {
    throw catalogError("no_refresh_token", {
      message: "Entra ID redeemed the refresh token but returned no new one (the token was not granted offline_access), so there is nothing to store.",
      hint: "Get a refresh token whose sign-in asked for offline_access (New-PartnerAccessToken and CIPP's do), or run `partner-center-sam bootstrap`.",
    });
  }
  onSecret(rotated);
  const claims = readAccessTokenClaims(result.accessToken);
  const user = signedInUser(claims) ?? result.account.username ?? "unknown";
  checkTenant(claims, result.account.homeAccountId, credentials.tenantId, user);
  return {
    accessToken: result.accessToken,
    expiresOn: result.expiresOn ?? new Date((claims.exp ?? 0) * 1000),
    rotatedRefreshToken: rotated,
    claims,
    user,
    mfa: hasMfaClaim(claims),
  };
}

/** The home tenant a v1 access token's `idp` names for a user from another tenant (a guest), if any. */
function guestHomeTenant(claims: AccessTokenClaims): string | undefined {
  const idp = typeof claims.idp === "string" ? claims.idp : "";
  return /^https:\/\/sts\.windows\.net\/([0-9a-f-]{36})\/$/i.exec(idp)?.[1]?.toLowerCase();
}

function checkTenant(claims: AccessTokenClaims, homeAccountId: string, tenantId: string, user: string): void {
  const partner = tenantId.toLowerCase();
  const tid = claims.tid?.toLowerCase();
  // msal's homeAccountId is `<uid>.<utid>`: the user's home tenant, from client_info.
  const home = guestHomeTenant(claims) ?? (/\.([0-9a-f-]{36})$/i.exec(homeAccountId)?.[1]?.toLowerCase() || undefined);
  if (tid && tid !== partner) {
    throw catalogError("import_token_other_tenant", { message: `The refresh token gave an access token for tenant ${claims.tid}, but the app belongs to the partner tenant ${tenantId}; nothing was stored.` });
  }
  if (home && home !== partner) {
    throw catalogError("import_token_other_tenant", {
      message: `The refresh token belongs to ${user}, a user of tenant ${home} (a guest in the partner tenant ${tenantId}); Partner Center App+User calls need a user of the partner tenant. Nothing was stored.`,
    });
  }
}

/**
 * Entra ID's refusal of an imported refresh token, explained for the person who
 * piped it in. Decisions use the OAuth error and the AADSTS number, never the text:
 * - another client: `invalid_grant` AADSTS700007 "The grant was issued for a
 *   different client id." (CompassSecurity/EntraFalcon#6; microsoft/Partner-Center-PowerShell#419);
 * - another tenant: `invalid_grant` AADSTS7000012 "The grant was obtained for a
 *   different tenant." (HChaoHui/msOauth2api#8), or AADSTS50020 when the token's
 *   user has no account in the partner tenant (MicrosoftDocs/entra-docs reference-error-codes.md);
 * - not a token of this service or garbled: `invalid_grant` AADSTS9002313 or 70000
 *   (davidjrh/dnn.azureadprovider#112; AzureAD/microsoft-identity-web#1435);
 * - expired or revoked: AADSTS700082, 70008, 70043, 50173 and the MFA / Conditional
 *   Access answers (reference-error-codes.md).
 */
export function explainImportError(error: unknown, credentials: AppCredentials, networkError?: Error): SamError {
  const fields = readEntraError(error);
  const code = fields.aadsts;
  const summary = shortDescription(fields.description).replace(/^AADSTS\d+:\s*/, "") || "no description";
  const opts = { aadsts: code, cause: error };
  if (networkError && !code) {
    return catalogError("entra_unreachable", {
      message: `Entra ID did not answer: ${(networkError as { errorMessage?: string }).errorMessage ?? networkError.message}`,
      cause: error,
      hint: "Check the network path to the authority host (--authority-host, AZURE_AUTHORITY_HOST or the stack's authorityHost) and run the command again; nothing was stored.",
    });
  }
  switch (code) {
    case "700007":
      return catalogError("import_token_other_app", {
        message: `Entra ID says the refresh token was issued to another app registration, not to this stack's app ${credentials.clientId} (AADSTS700007). A refresh token only works for the app it was issued to; nothing was stored.`,
        ...opts,
      });
    case "7000012":
    case "50020":
      return catalogError("import_token_other_tenant", {
        message: `Entra ID says the refresh token belongs to another tenant or to a user who has no account in the partner tenant ${credentials.tenantId} (AADSTS${code}); nothing was stored.`,
        ...opts,
      });
    case "9002313":
    case "70000":
      return catalogError("import_token_input", {
        detail: `Entra ID does not recognise it as a refresh token (AADSTS${code}): it may be cut short, or not a refresh token at all. Nothing was stored.`,
        ...opts,
        hint: "Pipe the whole refresh token exactly as the tool gave it (PowerShell: `$token.RefreshToken | Set-Content token.txt`), then run the command again.",
      });
  }
  if (isClientSecretRejection(error)) return explainEntraError(error, { phase: "refresh" });
  if (fields.error === "invalid_grant" || fields.error === "interaction_required") {
    return catalogError("import_token_refused", {
      message: `Entra ID refuses the refresh token (${fields.error}${code ? `, AADSTS${code}` : ""}): ${summary} Nothing was stored.`,
      ...opts,
    });
  }
  return explainEntraError(error, { phase: "refresh" });
}
