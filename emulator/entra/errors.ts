/**
 * Entra's error answers: the OAuthError the token endpoint renders in Entra's
 * JSON shape, the standard texts of refused refresh tokens, Conditional Access
 * `claims` challenges, and the AccessTokenError of token verification.
 */
import { randomUUID } from "node:crypto";
import type http from "node:http";
import { sendJson } from "../http";
import { nowMs, type EntraState } from "./state";

/** Why `EntraEmulator.verifyAccessToken` rejected a token. */
export class AccessTokenError extends Error {
  constructor(
    readonly reason: "malformed" | "signature" | "issuer" | "audience" | "expired" | "not-yet-valid" | "tenant",
    message: string,
  ) {
    super(message);
    this.name = "AccessTokenError";
  }
}

/** Entra's OAuth error, rendered in its JSON shape by the token endpoint. */
export class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly code: number,
    readonly text: string,
    readonly suberror?: string,
    readonly claims?: string,
  ) {
    super(`AADSTS${code}: ${text}`);
  }
}

/** AADSTS numbers whose real answers carry a Conditional Access `claims` challenge. */
export const CLAIMS_CHALLENGE_CODES = new Set([50076, 50079, 53003]);

/** Entra's answers for refresh tokens it no longer accepts (texts from real responses and Microsoft's error reference). */
export const STANDARD_INVALIDATIONS: Record<number, { error: string; text: string; suberror?: string }> = {
  70008: {
    error: "invalid_grant",
    text: "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
  },
  700082: {
    error: "invalid_grant",
    text: "The refresh token has expired due to inactivity. The token was issued on {issued} and was inactive for 90.00:00:00.",
  },
  70043: {
    error: "invalid_grant",
    suberror: "token_expired",
    text: "The refresh token has expired or is invalid due to sign-in frequency checks by conditional access. The token was issued on {issued} and the maximum allowed lifetime for this request is 36000.",
  },
  50173: {
    error: "invalid_grant",
    text: "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '{issued}' and the TokensValidFrom date (before which tokens are not valid) for this user is '{now}'.",
  },
  50076: {
    error: "invalid_grant",
    suberror: "basic_action",
    text: "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '{resource}'.",
  },
  50078: {
    error: "invalid_grant",
    suberror: "basic_action",
    text: "Presented multi-factor authentication has expired due to policies configured by your administrator, you must refresh your multi-factor authentication to access '{resource}'.",
  },
  50079: {
    error: "invalid_grant",
    suberror: "basic_action",
    text: "Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication to access '{resource}'.",
  },
  53003: {
    error: "invalid_grant",
    suberror: "message_only",
    text: "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.",
  },
};

/**
 * What a customer tenant's token endpoint answers a partner (service-provider) user with when that tenant's
 * policy blocks them — {@link Tenant.conditionalAccess}. Texts: MicrosoftDocs/entra-docs
 * `docs/identity-platform/reference-error-codes.md` and Entra's B2B troubleshooting guide (AADSTS Error Codes):
 * 50177 ExternalChallengeNotSupportedForPassthroughUsers, 50178 SessionControlNotSupportedForPassthroughUsers and
 * 90072 PassThroughUserMfaError answer with the "does not exist in tenant" text (the true reason is only in
 * Microsoft's diagnostic logs); 500213 NotAllowedByInboundPolicyTenant; 530034
 * DelegatedAdminBlockedDueToSuspiciousActivity; 53003 BlockedByConditionalAccess; 50076 / 50079 / 50078 the
 * customer's MFA policy (with suberror basic_action, as MSAL receives it). `{user}`, `{idp}`, `{tenant}`,
 * `{appId}`, `{appName}`, `{resource}` are filled in.
 */
export const CUSTOMER_POLICY_ANSWERS: Record<number, { error: string; text: string; suberror?: string }> = {
  53003: STANDARD_INVALIDATIONS[53003],
  50076: STANDARD_INVALIDATIONS[50076],
  50078: STANDARD_INVALIDATIONS[50078],
  50079: STANDARD_INVALIDATIONS[50079],
  50177: { error: "invalid_grant", text: "User account '{user}' from identity provider '{idp}' does not exist in tenant '{tenant}' and cannot access the application '{appId}'({appName}) in that tenant. The account needs to be added as an external user in the tenant first. Sign out and sign in again with a different Azure Active Directory user account." },
  50178: { error: "invalid_grant", text: "User account '{user}' from identity provider '{idp}' does not exist in tenant '{tenant}' and cannot access the application '{appId}'({appName}) in that tenant. The account needs to be added as an external user in the tenant first. Sign out and sign in again with a different Azure Active Directory user account." },
  90072: { error: "invalid_grant", text: "User account '{user}' from identity provider '{idp}' does not exist in tenant '{tenant}' and cannot access the application '{appId}'({appName}) in that tenant. The account needs to be added as an external user in the tenant first. Sign out and sign in again with a different Azure Active Directory user account." },
  500213: { error: "invalid_grant", text: "The resource tenant's cross-tenant access policy does not allow this user to access this tenant." },
  530034: { error: "invalid_grant", text: "Delegated admin access was blocked due to suspicious activity (account risk) of the user in their home tenant. Contact your administrator." },
};

export function entraTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

/** Entra's Conditional Access challenge for `code`, as the `claims` string it sends, or undefined. */
export function standardClaims(s: EntraState, code: number): string | undefined {
  if (!CLAIMS_CHALLENGE_CODES.has(code)) return undefined;
  return JSON.stringify({ access_token: { capolids: { essential: true, values: [s.settings.conditionalAccessPolicyId] } } });
}

export function unknownResource(tenantId: string, resource: string): OAuthError {
  return new OAuthError(400, "invalid_resource", 500011, `The resource principal named ${resource} was not found in the tenant named ${tenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`);
}

export function sendOAuthError(s: EntraState, req: http.IncomingMessage, res: http.ServerResponse, err: OAuthError): void {
  const now = nowMs(s);
  const traceId = randomUUID();
  const correlationId = String(req.headers["client-request-id"] ?? randomUUID());
  const timestamp = entraTimestamp(now);
  sendJson(res, err.status, {
    error: err.error,
    error_description: `AADSTS${err.code}: ${err.text}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [err.code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `${s.settings.url}/error?code=${err.code}`,
    ...(err.suberror ? { suberror: err.suberror } : {}),
    ...(err.claims ? { claims: err.claims } : {}),
  });
}
