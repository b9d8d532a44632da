/**
 * The contract between the Pulumi stack (`infra/`) and the commands and token
 * provider (`bootstrap/`): default secret names, public-cloud endpoints and the
 * lifetimes both sides rely on. Keep this file free of imports so both sides can
 * load it cheaply.
 */

/**
 * Names of the vault secrets, as exported in the stack output `secretNames`.
 * A stack names the app credential it maintains: `clientCertificate` (config
 * `appCredential: certificate`) or `clientSecret` (`appCredential: secret`).
 */
export interface SecretNames {
  clientId: string;
  /** The client secret; absent when the app authenticates with a certificate. */
  clientSecret?: string;
  /** The certificate: PEM private key followed by the PEM certificate. Absent on stacks with a client secret. */
  clientCertificate?: string;
  tenantId: string;
  refreshToken: string;
}

/** Default secret names, of both credentials; the stack exports the names it actually used. */
export const DEFAULT_SECRET_NAMES: Readonly<Required<SecretNames>> = Object.freeze({
  clientId: "partnercenter-client-id",
  clientSecret: "partnercenter-client-secret",
  clientCertificate: "partnercenter-client-certificate",
  tenantId: "partnercenter-tenant-id",
  refreshToken: "partnercenter-refresh-token",
});

/** The public Microsoft Entra ID authority host. */
export const PUBLIC_AUTHORITY_HOST = "https://login.microsoftonline.com";

/** The public Microsoft Graph endpoint (sovereign clouds have their own: `https://graph.microsoft.us`, `https://microsoftgraph.chinacloudapi.cn`). */
export const PUBLIC_GRAPH_ENDPOINT = "https://graph.microsoft.com";

/** The public Partner Center REST endpoint. */
export const PUBLIC_PARTNER_CENTER_ENDPOINT = "https://api.partnercenter.microsoft.com";

/** Default loopback redirect URI registered on the app. */
export const DEFAULT_REDIRECT_URI = "http://localhost:8400/";

/** A refresh token dies after this many days without use. */
export const REFRESH_TOKEN_LIFETIME_DAYS = 90;

/** Content type of the certificate secret: the PEM private key followed by the PEM certificate. */
export const CLIENT_CERTIFICATE_CONTENT_TYPE = "application/x-pem-file";

/** Tag on the certificate secret with the certificate's SHA-256 thumbprint (hex), so `status` shows it without reading the key. */
export const CERTIFICATE_THUMBPRINT_TAG = "thumbprintSha256";

/** Content type of the refresh-token secret. */
export const REFRESH_TOKEN_CONTENT_TYPE = "application/x-refresh-token";

/** The delegated scope Partner Center App+User calls need. */
export function partnerCenterScope(partnerCenterEndpoint: string): string {
  return `${partnerCenterEndpoint.replace(/\/+$/, "")}/user_impersonation`;
}

/** Where a tenant admin grants consent for the whole organisation. */
export function adminConsentUrl(authorityHost: string, tenantId: string, clientId: string): string {
  return `${authorityHost.replace(/\/+$/, "")}/${tenantId}/adminconsent?client_id=${clientId}`;
}

/** Tags on the refresh-token secret; `refresh` and `status` rely on them. */
export interface RefreshTokenTags {
  consentedAt: string;
  consentedBy: string;
  mfa: "true" | "false";
  tenantId: string;
  clientId: string;
  refreshedAt: string;
}
