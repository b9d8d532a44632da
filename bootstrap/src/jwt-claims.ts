/** Reads the claims of a JWT without verifying it (the issuer already did, over TLS). */

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

/** True when the token says the user completed multi-factor authentication. */
export function hasMfaClaim(claims: AccessTokenClaims | undefined): boolean {
  return Array.isArray(claims?.amr) && claims.amr.includes("mfa");
}

/** The signed-in user's name as Entra ID reports it (UPN first). */
export function signedInUser(claims: AccessTokenClaims | undefined): string | undefined {
  return claims?.upn ?? claims?.preferred_username ?? claims?.unique_name;
}
