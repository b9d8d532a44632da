/**
 * The token endpoint: client authentication (client secret, or a client
 * assertion signed with a registered certificate), then the authorization_code,
 * refresh_token and client_credentials grants, with the queued faults and the
 * test hold on answers.
 */
import { randomUUID } from "node:crypto";
import type http from "node:http";
import { readForm, sendJson } from "../http";
import { verifyClientAssertion } from "./client-assertion";
import { appKnownIn, findResource } from "./directory";
import { CUSTOMER_POLICY_ANSWERS, OAuthError, STANDARD_INVALIDATIONS, sendOAuthError, standardClaims, unknownResource } from "./errors";
import {
  GRAPH,
  OIDC_SCOPES,
  PKCE_VERIFIER,
  nowMs,
  parseScope,
  safeEqual,
  sha256,
  splitScopes,
  type EntraState,
  type StoredApp,
} from "./state";
import { appToken, refreshExpired, userTokenResponse } from "./tokens";
import type { TokenFault, TokenRequestRecord } from "./types";

/**
 * Holds every token-endpoint answer from now until the returned function is
 * called — to see how many requests a client has in flight at once
 * ({@link heldTokenRequests}). Not a behaviour of Entra ID; a test's lens.
 */
export function holdTokenResponses(s: EntraState): () => void {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  s.tokenGate = gate;
  return () => {
    if (s.tokenGate === gate) s.tokenGate = undefined;
    release();
  };
}

/**
 * The next token request (queued: one fault per request) fails with this
 * error. A standard `code` gets Entra's suberror and, for 50076 / 50079 /
 * 53003, its Conditional Access `claims` challenge unless the fault says otherwise.
 */
export function failNextToken(s: EntraState, fault: TokenFault): void {
  s.tokenFaults.push({ ...fault, suberror: fault.suberror ?? STANDARD_INVALIDATIONS[fault.code]?.suberror, claims: fault.claims ?? standardClaims(s, fault.code) });
}

export async function handleToken(s: EntraState, req: http.IncomingMessage, res: http.ServerResponse, tenantId: string, tenantPath: string): Promise<void> {
  const form = await readForm(req);
  const record: TokenRequestRecord = {
    grantType: form.get("grant_type") ?? "",
    clientId: form.get("client_id") ?? basicAuth(req)?.clientId ?? "",
    scope: form.get("scope") ?? "",
    tenantId,
    tenantPath,
    status: 200,
    clientAuthentication: [
      ...(form.get("client_secret") !== null || basicAuth(req) ? (["client_secret"] as const) : []),
      ...(form.get("client_assertion") !== null ? (["client_assertion"] as const) : []),
    ],
  };
  s.settings.tokenRequests.push(record);
  if (s.tokenGate) {
    s.held++;
    await s.tokenGate.finally(() => s.held--);
  }
  try {
    const fault = s.tokenFaults.shift();
    if (fault) {
      throw new OAuthError(fault.status ?? 400, fault.error, fault.code, fault.description.replace(new RegExp(`^AADSTS${fault.code}:\\s*`), ""), fault.suberror, fault.claims || undefined);
    }
    const body = redeem(s, req, form, tenantId, tenantPath);
    sendJson(res, 200, body, { "client-request-id": String(req.headers["client-request-id"] ?? randomUUID()) });
  } catch (err) {
    if (!(err instanceof OAuthError)) throw err;
    record.status = err.status;
    record.error = err.error;
    record.errorCode = err.code;
    sendOAuthError(s, req, res, err);
  }
}

export function redeem(s: EntraState, req: http.IncomingMessage, form: URLSearchParams, tenantId: string, tenantPath = tenantId): Record<string, unknown> {
  const grantType = form.get("grant_type");
  if (!grantType) throw new OAuthError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.");
  const basic = basicAuth(req);
  const clientId = (form.get("client_id") ?? basic?.clientId ?? "").toLowerCase();
  if (!clientId) throw new OAuthError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.");
  const app = s.apps.get(clientId);
  if (!app || !appKnownIn(s, app, tenantId)) {
    throw new OAuthError(400, "unauthorized_client", 700016, `Application with identifier '${clientId}' was not found in the directory '${tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`);
  }
  const secret = form.get("client_secret") ?? basic?.secret;
  if (form.get("client_assertion")) {
    // The assertion names the token endpoint the client was sent to: by tenant id or by the domain in its path.
    const audiences = [...new Set([tenantPath, tenantId])].flatMap((t) => [`${s.settings.url}/${t}/oauth2/v2.0/token`, `${s.settings.url}/${t}/oauth2/token`]);
    verifyClientAssertion(s, app, form, audiences);
    return grant(s, app, form, tenantId, grantType);
  }
  if (!secret) throw new OAuthError(401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
  if (app.expiredSecrets.some((expired) => safeEqual(secret, expired))) {
    throw new OAuthError(401, "invalid_client", 7000222, `The provided client secret keys for app '${app.clientId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`);
  }
  if (!app.secret || !safeEqual(secret, app.secret)) {
    throw new OAuthError(401, "invalid_client", 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`);
  }
  return grant(s, app, form, tenantId, grantType);
}

function grant(s: EntraState, app: StoredApp, form: URLSearchParams, tenantId: string, grantType: string): Record<string, unknown> {
  switch (grantType) {
    case "authorization_code":
      return redeemCode(s, app, form, tenantId);
    case "refresh_token":
      return redeemRefreshToken(s, app, form, tenantId);
    case "client_credentials":
      return clientCredentials(s, app, form);
    default:
      throw new OAuthError(400, "unsupported_grant_type", 70003, `The app requested an unsupported grant type '${grantType}'.`);
  }
}

export function redeemCode(s: EntraState, app: StoredApp, form: URLSearchParams, tenantId: string): Record<string, unknown> {
  const code = s.codes.get(form.get("code") ?? "");
  if (!code) throw new OAuthError(400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid. - The reason: The provided authorization code is malformed or was not issued by this service.");
  if (code.clientId !== app.clientId) throw new OAuthError(400, "invalid_grant", 70000, "Provided grant is invalid or malformed: the authorization code was issued to a different client.");
  if (code.redeemed) throw new OAuthError(400, "invalid_grant", 54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.");
  if (code.expiresAt <= nowMs(s)) throw new OAuthError(400, "invalid_grant", 70008, STANDARD_INVALIDATIONS[70008].text);
  const redirectUri = form.get("redirect_uri") ?? "";
  if (redirectUri !== code.redirectUri) {
    throw new OAuthError(400, "invalid_grant", 500112, `The reply address '${redirectUri}' does not match the reply address '${code.redirectUri}' provided when requesting Authorization code.`);
  }
  const verifier = form.get("code_verifier") ?? "";
  if (!PKCE_VERIFIER.test(verifier) || sha256(verifier) !== code.codeChallenge) {
    throw new OAuthError(400, "invalid_grant", 501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request.");
  }
  code.redeemed = true;
  const requested = splitScopes(form.get("scope"));
  const scopes = requested.length ? requested : code.scopes;
  const offline = scopes.includes("offline_access") || code.scopes.includes("offline_access");
  return userTokenResponse(s, app, tenantId, code.user, scopes, code.amr, code.authTime, offline, form.get("client_info") === "1", code.nonce);
}

export function redeemRefreshToken(s: EntraState, app: StoredApp, form: URLSearchParams, tenantId: string): Record<string, unknown> {
  const token = form.get("refresh_token");
  if (!token) throw new OAuthError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'refresh_token'.");
  const hash = sha256(token);
  const record = s.refreshTokens.get(hash);
  if (!record) throw new OAuthError(400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid. - The reason: The refresh token is malformed or was not issued by this service.");
  // A refresh token of another app registration (whatever its tenant): real Entra answers 400 invalid_grant
  // "AADSTS700007: The grant was issued for a different client id." (CompassSecurity/EntraFalcon#6 shows the
  // whole answer; microsoft/Partner-Center-PowerShell#419 the same text from New-PartnerAccessToken -RefreshToken).
  if (record.clientId !== app.clientId) throw new OAuthError(400, "invalid_grant", 700007, "The grant was issued for a different client id.");
  const scopes = splitScopes(form.get("scope"));
  if (record.failure) {
    const resource = scopes.map(parseScope).find((s) => !OIDC_SCOPES.has(s.raw))?.resource ?? GRAPH;
    const f = record.failure;
    throw new OAuthError(f.status ?? 400, f.error, f.code, f.description.replace("{resource}", resource), f.suberror, f.claims || undefined);
  }
  if (s.settings.singleUseRefreshTokens && record.uses > 0) {
    // Not Entra's behaviour: the stand-in's strict mode, for tests that must prove the newest token was stored.
    throw new OAuthError(400, "invalid_grant", 70000, "Provided grant is invalid or malformed: this refresh token was already redeemed (the test stand-in's single-use refresh token mode; real Entra ID keeps it valid).");
  }
  if (refreshExpired(s, record)) {
    throw new OAuthError(400, "invalid_grant", 700082, STANDARD_INVALIDATIONS[700082].text.replace("{issued}", new Date(record.issuedAt).toISOString()));
  }
  if (!scopes.length) throw new OAuthError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'scope'.");
  if (tenantId !== record.user.tenantId) {
    // A user redeeming in a tenant other than their own: a partner user in a customer tenant (GDAP), or a
    // customer's user at the partner's tenant. Only through a role there; otherwise Entra's AADSTS50020
    // (MicrosoftDocs/entra-docs reference-error-codes.md: "User account … from identity provider … does not exist in tenant").
    const tenant = s.tenants.get(tenantId)!;
    if (!tenant.gdap.has(record.user.username.toLowerCase())) {
      throw new OAuthError(400, "invalid_grant", 50020, `User account '${record.user.username}' from identity provider 'https://sts.windows.net/${record.user.tenantId}/' does not exist in tenant '${tenant.displayName}' and cannot access the application '${app.clientId}'(${app.displayName}) in that tenant. The account needs to be added as an external user in the tenant first. Sign out and sign in again with a different Azure Active Directory user account.`);
    }
    if (tenant.conditionalAccess !== undefined) {
      // The customer's Conditional Access / cross-tenant access settings evaluate the partner user (service provider).
      const answer = CUSTOMER_POLICY_ANSWERS[tenant.conditionalAccess] ?? { error: "invalid_grant", text: "Access has been blocked by the tenant's policies." };
      const resource = scopes.map(parseScope).find((p) => !OIDC_SCOPES.has(p.raw))?.resource ?? GRAPH;
      const text = answer.text
        .replace("{user}", record.user.username)
        .replace("{idp}", `https://sts.windows.net/${record.tenantId}/`)
        .replace("{tenant}", tenant.displayName)
        .replace("{appId}", app.clientId)
        .replace("{appName}", app.displayName)
        .replace("{resource}", resource);
      throw new OAuthError(400, answer.error, tenant.conditionalAccess, text, answer.suberror ?? STANDARD_INVALIDATIONS[tenant.conditionalAccess]?.suberror, standardClaims(s, tenant.conditionalAccess));
    }
  }
  const omit = s.omitRefreshTokens > 0;
  if (omit) s.omitRefreshTokens--;
  const body = userTokenResponse(s, app, tenantId, record.user, scopes, record.amr, record.authTime, !omit, form.get("client_info") === "1", undefined);
  record.uses++;
  record.lastUsedAt = nowMs(s);
  return body;
}

export function clientCredentials(s: EntraState, app: StoredApp, form: URLSearchParams): Record<string, unknown> {
  const scopes = splitScopes(form.get("scope"));
  if (scopes.length !== 1 || !scopes[0].endsWith("/.default")) {
    throw new OAuthError(400, "invalid_scope", 1002012, `The provided value for scope ${scopes.join(" ")} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
  }
  const resource = findResource(s, parseScope(scopes[0]).resource);
  if (!resource) throw unknownResource(app.tenantId, parseScope(scopes[0]).resource);
  const { token, exp } = appToken(s, app.tenantId, resource.id, app.servicePrincipalObjectId, app.clientId);
  const lifetime = exp - Math.floor(nowMs(s) / 1000);
  return { token_type: "Bearer", expires_in: lifetime, ext_expires_in: lifetime, access_token: token };
}

export function basicAuth(req: http.IncomingMessage): { clientId: string; secret: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? "");
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const at = decoded.indexOf(":");
  if (at < 0) return undefined;
  return { clientId: decodeURIComponent(decoded.slice(0, at)), secret: decodeURIComponent(decoded.slice(at + 1)) };
}
