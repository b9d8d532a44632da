/**
 * The Entra ID stand-in's public option and record shapes: what tests pass in
 * (apps, users, tenants, faults) and what the stand-in records and returns.
 */
import type { ServerTls } from "../http";

/** Options of `EntraEmulator`. */
export interface EntraEmulatorOptions {
  tls: ServerTls;
  /** Lifetime of issued access tokens (default 3600). */
  accessTokenLifetimeSeconds?: number;
  /**
   * Stricter than Entra: refuse a refresh token once it has been redeemed
   * (AADSTS70000). Default false — real Entra keeps used refresh tokens valid.
   */
  singleUseRefreshTokens?: boolean;
  /**
   * Also serve the sign-in pages on plain `http://localhost` (a port of its own)
   * and name that address as `authorization_endpoint` in the OpenID
   * configuration, so a browser that does not trust the CA shows no warning.
   * Real Entra ID serves them over HTTPS only. Default false.
   */
  signInPagesOverHttp?: boolean;
}

/** An app registration (a confidential client; single-tenant unless `multiTenant`). */
export interface RegisterAppOptions {
  tenantId: string;
  /** Sign-in audience AzureADMultipleOrgs: the app can be consented into other tenants (default false: AzureADMyOrg). */
  multiTenant?: boolean;
  clientId: string;
  /** The client secret (a password credential); none for an app that authenticates with a certificate. */
  clientSecret?: string;
  /** Certificates (PEM) registered as key credentials: client assertions signed with their keys are accepted. */
  certificates?: string[];
  redirectUris: string[];
  displayName?: string;
  applicationObjectId?: string;
  servicePrincipalObjectId?: string;
  /**
   * Delegated scopes an administrator has consented to for every user, e.g.
   * `https://graph.microsoft.com/.default` (`.default` = every scope of that resource).
   */
  adminConsentedScopes?: string[];
}

/** A registered app as the stand-in sees it (secret excluded). */
export interface EntraApp {
  tenantId: string;
  clientId: string;
  /** Sign-in audience AzureADMultipleOrgs. */
  multiTenant: boolean;
  displayName: string;
  applicationObjectId: string;
  servicePrincipalObjectId: string;
  redirectUris: string[];
}

/** Options of `EntraEmulator.addTenant`. */
export interface AddTenantOptions {
  /** Verified domains, e.g. `fabrikam.onmicrosoft.com`; usable instead of the id in the authority path. */
  domains?: string[];
  /** The organization's name, as Entra's messages quote it. */
  displayName?: string;
}

/** A user to add to a tenant. */
export interface AddUserOptions {
  tenantId: string;
  /** User principal name, e.g. `admin@contoso.example`. */
  username: string;
  password: string;
  /** true: sign-in asks for an MFA code and tokens carry amr ["pwd","mfa"]; false: amr ["pwd"]. */
  mfa: boolean;
  /** The one-time code the MFA page accepts (default a random 6-digit code). */
  mfaCode?: string;
  displayName?: string;
  oid?: string;
  /**
   * The `amr` values this user's tokens carry instead of the default, e.g.
   * `["pwd", "ngcmfa"]` for a Windows Hello sign-in ("equivalent to mfa" in
   * Microsoft's amr reference) or `["rsa", "mfa"]`.
   */
  amr?: string[];
}

/** A user as stored by the stand-in. */
export interface EntraUser {
  tenantId: string;
  username: string;
  password: string;
  mfa: boolean;
  mfaCode: string;
  displayName: string;
  oid: string;
  amr?: string[];
}

/** An error the token endpoint returns once (see `EntraEmulator.failNextToken`). */
export interface TokenFault {
  /** HTTP status (default 400). */
  status?: number;
  /** OAuth error, e.g. `invalid_grant`. */
  error: string;
  /** AADSTS number, e.g. 50076. */
  code: number;
  /** Text after `AADSTS<code>: ` (the prefix is added when missing). */
  description: string;
  /** Default: Entra's suberror for a standard `code` (e.g. basic_action for 50076). */
  suberror?: string;
  /**
   * The `claims` challenge (a JSON string). Default: a Conditional Access
   * challenge for 50076, 50079 and 53003, as Entra sends; `false` for none.
   */
  claims?: string | false;
}

/** An error the authorize endpoint redirects with once (see `EntraEmulator.failNextAuthorize`). */
export interface AuthorizeFault {
  error: string;
  /** e.g. `AADSTS65001: The user or administrator has not consented…` */
  description: string;
}

/** Makes existing refresh tokens fail (see `EntraEmulator.invalidateRefreshTokens`). */
export interface RefreshTokenInvalidation {
  /** Only this user's tokens (default: every user's). */
  username?: string;
  /** 700082 expired, 70008 expired, 70043 sign-in frequency, 50173 revoked, 50076 / 50078 / 50079 MFA, 53003 Conditional Access, or any other. */
  code: number;
  /** OAuth error (default `invalid_grant`). */
  error?: string;
  /** Overrides the standard text for `code`. */
  description?: string;
}

/** One token-endpoint request, without any secret. */
export interface TokenRequestRecord {
  grantType: string;
  clientId: string;
  scope: string;
  tenantId: string;
  /** The tenant segment of the path as the client sent it (an id or a domain). */
  tenantPath: string;
  status: number;
  /** The client credentials the request carried (never their values): `client_secret` (body or Basic) and/or `client_assertion`. */
  clientAuthentication: Array<"client_secret" | "client_assertion">;
  /** OAuth error and AADSTS code when the request failed. */
  error?: string;
  errorCode?: number;
}

/** One managed-identity endpoint request. */
export interface ManagedIdentityRequestRecord {
  resource: string;
  status: number;
}

/** How `EntraEmulator.signIn` answers the pages. */
export interface SignInOptions {
  username: string;
  password: string;
  /** Default: the user's registered MFA code. */
  mfaCode?: string;
  /** Default `accept`. */
  consent?: "accept" | "deny";
}

/** Options of `EntraEmulator.credential`. */
export interface EmulatorCredentialOptions {
  /** Object id of the principal (default: the managed identity's). */
  objectId?: string;
  /** Tenant of the principal (default: the managed identity's). */
  tenantId?: string;
}
