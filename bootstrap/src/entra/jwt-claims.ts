/** Reads the claims of a JWT without verifying it (the issuer already did, over TLS). */
import { catalogError } from "../core/error-catalogue";

/** The access-token claims the commands look at. */
export interface AccessTokenClaims {
  amr?: string[];
  upn?: string;
  preferred_username?: string;
  unique_name?: string;
  name?: string;
  tid?: string;
  oid?: string;
  exp?: number;
  [claim: string]: unknown;
}

/** Decodes the payload of a JWT; returns undefined for an opaque or malformed token. */
export function readJwtClaims(token: string): AccessTokenClaims | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8")) as unknown;
    return typeof claims === "object" && claims !== null ? (claims as AccessTokenClaims) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The claims of an access token Entra ID just issued. Partner Center tokens are
 * JWTs; one that is not readable cannot be checked for MFA, tenant or user, so
 * this throws `access_token_unreadable` instead of letting it pass as "no MFA".
 */
export function readAccessTokenClaims(token: string): AccessTokenClaims {
  const claims = readJwtClaims(token);
  if (!claims) {
    throw catalogError("access_token_unreadable", {
      message: "Entra ID returned an access token that is not a readable JWT, so its MFA, tenant and user cannot be checked.",
      hint: "Check that the stack's scopes output names the Partner Center API (https://api.partnercenter.microsoft.com/user_impersonation) and that --authority-host / AZURE_AUTHORITY_HOST points at Entra ID, then run `partner-center-sam bootstrap` again.",
    });
  }
  return claims;
}

/**
 * True when the token says the user completed multi-factor authentication: an
 * `amr` value containing "mfa" (`mfa`, `ngcmfa`, …), the test Microsoft's own
 * Partner Center security check applies.
 */
export function hasMfaClaim(claims: AccessTokenClaims | undefined): boolean {
  const amr: unknown = claims?.amr;
  return Array.isArray(amr) && amr.some((value) => typeof value === "string" && value.includes("mfa"));
}

/** The signed-in user's name as Entra ID reports it (UPN first). */
export function signedInUser(claims: AccessTokenClaims | undefined): string | undefined {
  return claims?.upn ?? claims?.preferred_username ?? claims?.unique_name;
}

/**
 * What the new tokens say about MFA: "true" when the access token's or the ID
 * token's `amr` names an MFA method, "false" when they carry an `amr` without
 * one, undefined when neither carries an `amr` (then the stored tag stands).
 */
export function mfaFromClaims(...sources: Array<object | undefined>): "true" | "false" | undefined {
  const withAmr = sources.filter((claims): claims is AccessTokenClaims => Array.isArray((claims as AccessTokenClaims | undefined)?.amr));
  if (withAmr.length === 0) return undefined;
  return withAmr.some((claims) => hasMfaClaim(claims)) ? "true" : "false";
}
