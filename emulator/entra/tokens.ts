/**
 * Token issuing and the refresh-token store: user and app access tokens, id
 * tokens, refresh tokens (validity, uses, invalidation, newest per user), and
 * verification of access tokens issued here.
 */
import { randomToken } from "../http";
import { decodeJwt, signJwt, verifyJwtSignature, type Claims } from "../jwt";
import { appKnownIn, checkScopes, consentedScopeNames, findResource, findUser, recordConsent, resolveTenant } from "./directory";
import { AccessTokenError, OAuthError, STANDARD_INVALIDATIONS, standardClaims } from "./errors";
import {
  GRAPH,
  OIDC_SCOPES,
  REFRESH_INACTIVITY_SECONDS,
  amrOf,
  clientInfo,
  nowMs,
  pairwiseSub,
  parseScope,
  refreshTokenKey,
  sha256,
  type EntraState,
  type RefreshTokenRecord,
  type Resource,
  type StoredApp,
} from "./state";
import type { EntraUser, RefreshTokenInvalidation } from "./types";

export function userTokenResponse(
  s: EntraState,
  app: StoredApp,
  /** The tenant whose token endpoint answers: the app's own, or a customer tenant. */
  tenantId: string,
  user: EntraUser,
  scopes: string[],
  amr: string[],
  authTime: number,
  offline: boolean,
  wantClientInfo: boolean,
  nonce: string | undefined,
): Record<string, unknown> {
  const apiScopes = scopes.filter((s) => !OIDC_SCOPES.has(s)).map(parseScope);
  const resources = [...new Set(apiScopes.map((s) => s.resource.toLowerCase()))];
  if (resources.length > 1) {
    throw new OAuthError(400, "invalid_request", 28000, `Provided value for the input parameter scope is not valid because it contains more than one resource. Scope ${scopes.join(" ")} is not valid.`);
  }
  const scopeError = checkScopes(s, tenantId, apiScopes.map((s) => s.raw));
  if (scopeError) throw scopeError;
  const resource = findResource(s, apiScopes[0]?.resource ?? GRAPH) as Resource;
  let granted: string[];
  if (apiScopes.length === 0) {
    granted = scopes.filter((s) => s !== "offline_access");
  } else {
    const consented = consentedScopeNames(s, app, user, resource, tenantId);
    const names = apiScopes.some((s) => s.name === ".default") ? [...consented] : apiScopes.map((s) => s.name);
    const missing = names.length === 0 || names.some((n) => !consented.has(n));
    if (missing) {
      throw new OAuthError(400, "invalid_grant", 65001, `The user or administrator has not consented to use the application with ID '${app.clientId}' named '${app.displayName}'. Send an interactive authorization request for this user and resource.`, "consent_required");
    }
    granted = names;
  }
  const now = Math.floor(nowMs(s) / 1000);
  const exp = now + s.settings.accessTokenLifetimeSeconds;
  const accessToken = signJwt(
    {
      aud: resource.id,
      iss: `https://sts.windows.net/${tenantId}/`,
      iat: now,
      nbf: now,
      exp,
      acr: "1",
      aio: randomToken(24),
      amr,
      appid: app.clientId,
      appidacr: "1",
      auth_time: authTime,
      ...(tenantId !== user.tenantId ? { idp: `https://sts.windows.net/${user.tenantId}/` } : {}),
      idtyp: "user",
      ipaddr: "127.0.0.1",
      name: user.displayName,
      oid: user.oid,
      preferred_username: user.username,
      rh: randomToken(16),
      scp: granted.join(" "),
      sub: pairwiseSub(user.oid, app.clientId),
      tid: tenantId,
      unique_name: user.username,
      upn: user.username,
      uti: randomToken(16),
      ver: "1.0",
      azp: app.clientId,
    },
    s.key,
  );
  let issuedAccessToken = accessToken;
  if (s.opaqueAccessTokens > 0) {
    s.opaqueAccessTokens--;
    issuedAccessToken = `EwB${randomToken(96)}`;
  }
  s.issued.push(issuedAccessToken);
  const body: Record<string, unknown> = {
    token_type: "Bearer",
    scope: apiScopes.length ? granted.map((n) => `${resource.id}/${n}`).join(" ") : granted.join(" "),
    expires_in: s.settings.accessTokenLifetimeSeconds,
    ext_expires_in: s.settings.accessTokenLifetimeSeconds,
    access_token: issuedAccessToken,
  };
  if (offline) body.refresh_token = newRefreshToken(s, app, user, amr, authTime, tenantId);
  if (scopes.includes("openid")) {
    body.id_token = signJwt(
      {
        aud: app.clientId,
        iss: `${s.settings.url}/${tenantId}/v2.0`,
        iat: now,
        nbf: now,
        exp: now + 3600,
        name: user.displayName,
        ...(nonce !== undefined ? { nonce } : {}),
        oid: user.oid,
        preferred_username: user.username,
        rh: randomToken(16),
        sub: pairwiseSub(user.oid, app.clientId),
        tid: tenantId,
        uti: randomToken(16),
        ver: "2.0",
      },
      s.key,
    );
    s.issued.push(body.id_token as string);
  }
  if (wantClientInfo) body.client_info = clientInfo(user);
  return body;
}

export function newRefreshToken(s: EntraState, app: StoredApp, user: EntraUser, amr: string[], authTime: number, issuedIn: string): string {
  const token = `1.A${randomToken(96)}`;
  s.issued.push(token);
  const now = nowMs(s);
  s.refreshTokens.set(sha256(token), {
    tenantId: app.tenantId,
    issuedIn,
    clientId: app.clientId,
    user,
    amr,
    authTime,
    issuedAt: now,
    lastUsedAt: now,
    uses: 0,
  });
  s.newestRefreshTokens.set(refreshTokenKey(app.clientId, user.username, issuedIn === app.tenantId ? undefined : issuedIn), token);
  return token;
}

export function refreshExpired(s: EntraState, record: RefreshTokenRecord): boolean {
  return nowMs(s) - record.lastUsedAt > REFRESH_INACTIVITY_SECONDS * 1000;
}

export function appToken(s: EntraState, tenantId: string, audience: string, objectId: string, appId: string): { token: string; exp: number } {
  const now = Math.floor(nowMs(s) / 1000);
  const exp = now + s.settings.accessTokenLifetimeSeconds;
  const token = signJwt(
    {
      aud: audience,
      iss: `https://sts.windows.net/${tenantId}/`,
      iat: now,
      nbf: now,
      exp,
      aio: randomToken(24),
      appid: appId,
      appidacr: "2",
      idp: `https://sts.windows.net/${tenantId}/`,
      idtyp: "app",
      oid: objectId,
      rh: randomToken(16),
      sub: objectId,
      tid: tenantId,
      uti: randomToken(16),
      ver: "1.0",
    },
    s.key,
  );
  s.issued.push(token);
  return { token, exp };
}

/** Every refresh token existing now (of one user, or all) fails from now on with this error. Returns how many. */
export function invalidateRefreshTokens(s: EntraState, options: RefreshTokenInvalidation): number {
  const standard = STANDARD_INVALIDATIONS[options.code];
  let count = 0;
  for (const record of s.refreshTokens.values()) {
    if (options.username && record.user.username.toLowerCase() !== options.username.toLowerCase()) continue;
    const text = (options.description ?? standard?.text ?? "The refresh token is no longer valid.")
      .replace("{issued}", new Date(record.issuedAt).toISOString())
      .replace("{now}", new Date(nowMs(s)).toISOString());
    record.failure = {
      status: 400,
      error: options.error ?? standard?.error ?? "invalid_grant",
      code: options.code,
      description: text,
      suberror: standard?.suberror,
      claims: standardClaims(s, options.code),
    };
    count++;
  }
  return count;
}

/**
 * Every secret value this stand-in handed out, oldest first: authorization
 * codes, access tokens (user and app), id tokens and refresh tokens — for
 * tests that check no such value is ever printed.
 */
export function issuedSecrets(s: EntraState): string[] {
  return [...s.issued];
}

/**
 * True while `token` would be accepted by the refresh_token grant (ignoring
 * scope and consent). A used token stays valid, as in Entra, unless
 * {@link singleUseRefreshTokens} is on.
 */
export function isRefreshTokenValid(s: EntraState, token: string): boolean {
  const record = s.refreshTokens.get(sha256(token));
  return !!record && !(s.settings.singleUseRefreshTokens && record.uses > 0) && !record.failure && !refreshExpired(s, record);
}

/** How many times `token` was redeemed successfully (0 for an unknown token). */
export function refreshTokenUses(s: EntraState, token: string): number {
  return s.refreshTokens.get(sha256(token))?.uses ?? 0;
}

/**
 * The refresh token most recently issued to `username` for `clientId`, by code
 * or refresh redemption, in the app's own tenant — or, with `tenantId`, by a
 * redemption in that (customer) tenant.
 */
export function newestRefreshToken(s: EntraState, clientId: string, username: string, tenantId?: string): string | undefined {
  const app = s.apps.get(clientId.toLowerCase());
  const tenant = tenantId === undefined ? undefined : (resolveTenant(s, tenantId) ?? tenantId.toLowerCase());
  return s.newestRefreshTokens.get(refreshTokenKey(clientId, username, tenant === app?.tenantId ? undefined : tenant));
}

/**
 * Issues a refresh token as if `username` had signed in to `clientId` and
 * consented to `scopes` — for tests that start after the bootstrap.
 */
export function issueRefreshToken(s: EntraState, options: { tenantId: string; clientId: string; username: string; scopes: string[] }): string {
  const user = findUser(s, options.tenantId, options.username);
  const app = s.apps.get(options.clientId.toLowerCase());
  if (!user || !app || !appKnownIn(s, app, user.tenantId)) throw new Error("issueRefreshToken: unknown user, app or tenant");
  // A user of another tenant (a multi-tenant app consented there) gets a token issued in their own tenant.
  recordConsent(s, app, user, options.scopes.filter((s) => !OIDC_SCOPES.has(s)));
  return newRefreshToken(s, app, user, amrOf(user), Math.floor(nowMs(s) / 1000), user.tenantId);
}

/**
 * Verifies an access token issued here: signature, v1 issuer of a known
 * tenant, audience (trailing slash ignored), nbf/exp with 5 min skew.
 * Returns the claims or throws an {@link AccessTokenError}.
 */
export function verifyAccessToken(s: EntraState, jwt: string, expected: { audience: string; tenantId?: string }): Claims {
  let claims: Claims;
  try {
    decodeJwt(jwt);
  } catch (err) {
    throw new AccessTokenError("malformed", (err as Error).message);
  }
  try {
    claims = verifyJwtSignature(jwt, s.key);
  } catch (err) {
    throw new AccessTokenError("signature", (err as Error).message);
  }
  const tid = String(claims.tid ?? "").toLowerCase();
  if (!s.tenants.has(tid) || claims.iss !== `https://sts.windows.net/${tid}/`) {
    throw new AccessTokenError("issuer", `Invalid issuer ${String(claims.iss)}`);
  }
  if (expected.tenantId && tid !== expected.tenantId.toLowerCase()) {
    throw new AccessTokenError("tenant", `Token is for tenant ${tid}, expected ${expected.tenantId}`);
  }
  const norm = (a: unknown): string => String(a ?? "").replace(/\/+$/, "").toLowerCase();
  if (norm(claims.aud) !== norm(expected.audience)) {
    throw new AccessTokenError("audience", `Invalid audience. Expected ${expected.audience}, found ${String(claims.aud)}`);
  }
  const now = Math.floor(nowMs(s) / 1000);
  if (typeof claims.exp !== "number" || claims.exp + 300 <= now) throw new AccessTokenError("expired", "The token is expired");
  if (typeof claims.nbf === "number" && claims.nbf - 300 > now) throw new AccessTokenError("not-yet-valid", "The token is not yet valid");
  return claims;
}
